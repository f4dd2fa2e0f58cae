// Turns one stream entry's `data` JSON into the Python dict `json.loads` would give, without
// going through Python's json module: one simdjson on-demand pass builds the dict directly.
// Keys and the few low-cardinality values (event_type, mdt, action, status, source) are
// interned once and shared by every dict, which is most of what makes a replay fast.
//
// Every call needs the GIL. One converter per thread of use (it owns a simdjson parser).
#pragma once

#include <Python.h>

#include <cstddef>
#include <memory>
#include <string_view>

namespace hsm::python {

// Py_NewRef, which Python 3.9 (RHEL 9's) lacks.
inline PyObject* new_ref(PyObject* o) {
    Py_INCREF(o);
    return o;
}

class JsonToPython {
public:
    JsonToPython();
    ~JsonToPython();
    JsonToPython(const JsonToPython&) = delete;
    JsonToPython& operator=(const JsonToPython&) = delete;

    // `json` must stay readable for `padding` bytes past its end (simdjson reads ahead); the
    // reader's batches guarantee 64. Returns a new reference to the value (a dict for every
    // entry the reader delivers), or nullptr with a Python exception set (ValueError for JSON
    // that neither simdjson nor json.loads accepts). Documents simdjson refuses but Python
    // accepts (NaN, 1e400, lone surrogates) go through json.loads, so the result is always
    // what the Python version produced.
    PyObject* convert(std::string_view json, std::size_t padding);

    // How many documents took the json.loads path.
    std::size_t fallbacks() const { return fallbacks_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::size_t fallbacks_ = 0;
};

}  // namespace hsm::python
