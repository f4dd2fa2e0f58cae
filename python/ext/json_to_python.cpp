// JsonToPython (see json_to_python.hpp). Errors from simdjson are not Python errors: they only
// send the document down the json.loads path, so anything Python's json module accepts still
// arrives, and anything it refuses raises the same ValueError it would.
#include "json_to_python.hpp"

#include <functional>
#include <string>
#include <vector>

#include <simdjson.h>

namespace hsm::python {

namespace od = simdjson::ondemand;

namespace {

// The keys of a deployment's events, and the values interned (MDT names, actions, statuses),
// number in the tens. The bound keeps hostile input (thousands of distinct keys) from making
// each lookup slow or the cache large: past it, new strings are simply not cached.
constexpr std::size_t kMaxCached = 64;

// A small set of strings and their Python objects, searched linearly (length first): with
// tens of entries that beats hashing every key of every event. `hint` is where the caller
// found its string last time, so keys that come in the same order as in the previous event
// (the usual case) are found with one comparison.
class StringCache {
public:
    ~StringCache() {
        for (auto& e : entries_) Py_DECREF(e.obj);
    }
    // A new reference to the str for `s`, created (and cached while there is room) if needed.
    PyObject* get(std::string_view s, bool intern, std::size_t& hint) {
        if (hint < entries_.size() && entries_[hint].text == s) return hsm::python::new_ref(entries_[hint].obj);
        for (std::size_t i = 0; i < entries_.size(); ++i)
            if (entries_[i].text.size() == s.size() && entries_[i].text == s) {
                hint = i;
                return hsm::python::new_ref(entries_[i].obj);
            }
        PyObject* o = PyUnicode_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
        if (!o) return nullptr;
        if (intern) PyUnicode_InternInPlace(&o);
        if (entries_.size() < kMaxCached) {
            hint = entries_.size();
            entries_.push_back({std::string(s), hsm::python::new_ref(o)});
        }
        return o;
    }

private:
    struct Entry {
        std::string text;
        PyObject* obj;
    };
    std::vector<Entry> entries_;
};

// Values worth sharing between events: few distinct ones, present in every event.
bool low_cardinality(std::string_view key) {
    return key == "event_type" || key == "mdt" || key == "action" || key == "status" || key == "source";
}

}  // namespace

struct JsonToPython::Impl {
    od::parser parser;
    StringCache keys, values;
    // What is remembered about the n-th field of an object, for the next object: where its key
    // (and, for low-cardinality keys, its value) sat in the caches, and its last integer value,
    // which is reused when it repeats (cat_idx, timestamp: same for a whole shipper cycle).
    struct Slot {
        std::size_t key_hint = 0;
        std::size_t value_hint = 0;
        bool intern_value = false;
        std::int64_t last_int = 0;
        PyObject* last_int_obj = nullptr;
    };
    static constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);
    std::vector<Slot> slots;
    PyObject* loads = nullptr;  // json.loads, for what simdjson refuses
    bool simd_error = false;    // set when nullptr came from simdjson rather than Python

    ~Impl() {
        for (auto& slot : slots) Py_XDECREF(slot.last_int_obj);
        Py_XDECREF(loads);
    }

    PyObject* integer(std::int64_t v, std::size_t slot_index) {
        if (slot_index == kNoSlot) return PyLong_FromLongLong(v);
        Slot& slot = slots[slot_index];
        if (!slot.last_int_obj || slot.last_int != v) {
            PyObject* o = PyLong_FromLongLong(v);
            if (!o) return nullptr;
            Py_XDECREF(slot.last_int_obj);
            slot.last_int_obj = o;
            slot.last_int = v;
        }
        return hsm::python::new_ref(slot.last_int_obj);
    }

    PyObject* fail() {
        simd_error = true;
        return nullptr;
    }

    PyObject* object(od::object obj) {
        // Sized for the fields of the previous object, so an event's dict never grows.
        PyObject* dict = _PyDict_NewPresized(static_cast<Py_ssize_t>(slots.size()));
        if (!dict) return nullptr;
        std::size_t n = 0;
        for (auto field_result : obj) {
            if (n == slots.size()) slots.emplace_back();
            od::field field;
            std::string_view name;
            if (std::move(field_result).get(field) || field.unescaped_key().get(name)) {
                Py_DECREF(dict);
                return fail();
            }
            PyObject* key = keys.get(name, true, slots[n].key_hint);
            slots[n].intern_value = low_cardinality(name);
            PyObject* val = key ? value(field.value(), n) : nullptr;
            ++n;
            const int rc = val ? PyDict_SetItem(dict, key, val) : -1;
            Py_XDECREF(key);
            Py_XDECREF(val);
            if (rc != 0) {
                Py_DECREF(dict);
                return nullptr;
            }
        }
        return dict;
    }

    PyObject* array(od::array arr) {
        PyObject* list = PyList_New(0);
        if (!list) return nullptr;
        for (auto item_result : arr) {
            od::value item;
            if (std::move(item_result).get(item)) {
                Py_DECREF(list);
                return fail();
            }
            PyObject* val = value(item, kNoSlot);
            const int rc = val ? PyList_Append(list, val) : -1;
            Py_XDECREF(val);
            if (rc != 0) {
                Py_DECREF(list);
                return nullptr;
            }
        }
        return list;
    }

    // `slot_index`: the field's slot in `slots` (kNoSlot for array items). Only the string and
    // integer cases use it, and they recurse no further, so `slots` cannot move under them.
    PyObject* value(od::value v, std::size_t slot_index) {
        od::json_type type;
        if (v.type().get(type)) return fail();
        switch (type) {
            case od::json_type::object: {
                od::object obj;
                if (v.get_object().get(obj)) return fail();
                return object(obj);
            }
            case od::json_type::array: {
                od::array arr;
                if (v.get_array().get(arr)) return fail();
                return array(arr);
            }
            case od::json_type::string: {
                std::string_view s;
                if (v.get_string().get(s)) return fail();
                if (slot_index != kNoSlot && slots[slot_index].intern_value)
                    return values.get(s, false, slots[slot_index].value_hint);
                return PyUnicode_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
            }
            case od::json_type::number: {
                // Integers beyond 64 bits and out-of-range floats fail here and take the
                // json.loads path, which gives Python's unbounded int and float('inf'). Each kind
                // is read by its own getter: simdjson 3.0.1's get_number() returns 0.0 for a float
                // of 19 or more digits, which get_double() parses right (src/wire/json_number.hpp).
                od::number_type type;
                if (v.get_number_type().get(type)) return fail();
                switch (type) {
                    case od::number_type::signed_integer: {
                        std::int64_t i = 0;
                        if (v.get_int64().get(i)) return fail();
                        return integer(i, slot_index);
                    }
                    case od::number_type::unsigned_integer: {
                        std::uint64_t u = 0;
                        if (v.get_uint64().get(u)) return fail();
                        return PyLong_FromUnsignedLongLong(u);
                    }
                    case od::number_type::floating_point_number: {
                        double d = 0;
                        if (v.get_double().get(d)) return fail();
                        return PyFloat_FromDouble(d);
                    }
                }
                return fail();
            }
            case od::json_type::boolean: {
                bool b = false;
                if (v.get_bool().get(b)) return fail();
                return hsm::python::new_ref(b ? Py_True : Py_False);
            }
            case od::json_type::null: {
                bool is_null = false;
                if (v.is_null().get(is_null) || !is_null) return fail();
                return hsm::python::new_ref(Py_None);
            }
        }
        return fail();
    }

    PyObject* with_json_module(std::string_view json) {
        if (!loads) {
            PyObject* mod = PyImport_ImportModule("json");
            if (!mod) return nullptr;
            loads = PyObject_GetAttrString(mod, "loads");
            Py_DECREF(mod);
            if (!loads) return nullptr;
        }
        PyObject* bytes = PyBytes_FromStringAndSize(json.data(), static_cast<Py_ssize_t>(json.size()));
        if (!bytes) return nullptr;
        PyObject* result = PyObject_CallOneArg(loads, bytes);
        Py_DECREF(bytes);
        return result;
    }
};

JsonToPython::JsonToPython() : impl_(std::make_unique<Impl>()) {}
JsonToPython::~JsonToPython() = default;

PyObject* JsonToPython::convert(std::string_view json, std::size_t padding) {
    Impl& m = *impl_;
    m.simd_error = false;
    od::document doc;
    od::object obj;
    PyObject* result = nullptr;
    if (!m.parser.iterate(json.data(), json.size(), json.size() + padding).get(doc) &&
        !doc.get_object().get(obj)) {
        result = m.object(obj);
        // Trailing bytes after the object (current_location() fails only at the very end):
        // json.loads refuses those, so must we.
        const char* rest = nullptr;
        if (result && doc.current_location().get(rest) == simdjson::SUCCESS) {
            Py_DECREF(result);
            result = m.fail();
        }
    } else {
        m.simd_error = true;
    }
    if (result || !m.simd_error) return result;
    ++fallbacks_;
    return m.with_json_module(json);
}

}  // namespace hsm::python
