// lustre_hsm_action_stream._consumer: the native half of the Python API. It wraps the C++
// StreamReader (src/consume) and LiveState; the Python half (consumer.py) validates arguments
// and gives the Python version's names and shapes. Split so because argument handling is
// easiest to get right, and to read, in Python, while the per-event path must stay native:
// one __next__ turns one decoded event into a StreamEvent with no Python code running.
//
// GIL: released while waiting on the reader (and while it decodes the next batch), taken back
// every kSignalSlice to run Python's signal handlers, so Ctrl+C raises KeyboardInterrupt within
// about that long. An _EventIterator is used by one thread at a time, like the C++ reader.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "services/json.hpp"
#include "services/logging.hpp"
#include "hsm/consume/live_state.hpp"
#include "hsm/consume/stream_reader.hpp"
#include "json_to_python.hpp"

namespace py = pybind11;
using namespace std::chrono_literals;
using hsm::consume::Event;
using hsm::consume::ReaderOptions;
using hsm::consume::StreamReader;

namespace {

// Longest stretch without running Python's signal handlers: how late Ctrl+C can be.
constexpr auto kSignalSlice = 100ms;
// The reader's batches end with at least this many readable bytes past each entry's JSON
// (the padding simdjson needs; see src/wire/decoder.hpp).
constexpr std::size_t kJsonPadding = 64;

std::chrono::milliseconds ms_of_seconds(double s) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000.0 + 0.5));
}

// The Python half passes validated options as a dict (see consumer.py, _native_options).
ReaderOptions reader_options(const py::dict& o) {
    ReaderOptions r;
    r.host = o["host"].cast<std::string>();
    r.port = o["port"].cast<int>();
    r.db = o["db"].cast<int>();
    r.prefix = o["prefix"].cast<std::string>();
    r.username = o["username"].cast<std::string>();
    r.password = o["password"].cast<std::string>();
    r.discovery_interval = ms_of_seconds(o["discovery_interval"].cast<double>());
    r.connect_timeout = ms_of_seconds(o["connect_timeout"].cast<double>());
    r.io_timeout = ms_of_seconds(o["io_timeout"].cast<double>());
    return r;
}

// Python logging levels (10 debug ... 50 critical) to spdlog's.
void set_log_level(int python_level) {
    using spdlog::level::level_enum;
    level_enum l = python_level <= 0    ? level_enum::warn  // NOTSET: Python's default, WARNING
                   : python_level <= 10 ? level_enum::debug
                   : python_level <= 20 ? level_enum::info
                   : python_level <= 30 ? level_enum::warn
                   : python_level <= 40 ? level_enum::err
                                        : level_enum::critical;
    spdlog::set_level(l);
}

// Destroying a reader joins its Redis thread (up to one XREAD block): do it without the GIL,
// except while the interpreter shuts down, when no other thread may run Python anyway.
void destroy_without_gil(std::unique_ptr<StreamReader>& reader) {
    if (!reader) return;
#if PY_VERSION_HEX >= 0x030D0000
    const bool finalizing = Py_IsFinalizing();
#else
    const bool finalizing = _Py_IsFinalizing();
#endif
    if (finalizing) {
        reader.reset();
        return;
    }
    py::gil_scoped_release nogil;
    reader.reset();
}

// Redis key names are bytes: one that is not UTF-8 keeps its bytes as surrogates (as
// os.fsdecode does) rather than failing the read.
py::str key_text(std::string_view name) {
    PyObject* o = PyUnicode_DecodeUTF8(name.data(), static_cast<Py_ssize_t>(name.size()), "surrogateescape");
    if (!o) throw py::error_already_set();
    return py::reinterpret_steal<py::str>(o);
}

py::dict stats_dict(const StreamReader& r) {
    const auto s = r.stats();
    py::dict d;
    d["entries"] = s.entries;
    d["events"] = s.events;
    d["skipped"] = s.skipped;
    d["reconnects"] = s.reconnects;
    d["discoveries"] = s.discoveries;
    d["connected"] = r.connected();
    d["caught_up"] = r.caught_up();
    return d;
}

py::list stream_list(const StreamReader& r) {
    py::list out;
    for (const auto& s : r.streams()) {
        py::dict d;
        d["name"] = key_text(s.name);
        d["mdt"] = key_text(s.mdt);
        d["length"] = s.length;
        d["first_id"] = s.first.empty() ? py::object(py::none()) : py::object(py::str(s.first.str()));
        d["last_id"] = s.last.empty() ? py::object(py::none()) : py::object(py::str(s.last.str()));
        d["position"] = s.position.empty() ? py::object(py::none()) : py::object(py::str(s.position.str()));
        out.append(std::move(d));
    }
    return out;
}

// One events() generator's reader: a C++ StreamReader, the live state built from the events it
// delivered, and the converter from each event to StreamEvent(stream, id, data).
class EventIterator {
public:
    EventIterator(const py::dict& options, bool from_beginning, std::int64_t block_ms, py::type event_class)
        : block_ms_(block_ms), event_class_(std::move(event_class)) {
        auto* cls = reinterpret_cast<PyTypeObject*>(event_class_.ptr());
        if (!PyType_IsSubtype(cls, &PyTuple_Type)) throw py::type_error("event_class must be a namedtuple type");
        ReaderOptions o = reader_options(options);
        o.start = from_beginning ? hsm::consume::StartAt::Beginning : hsm::consume::StartAt::Now;
        o.follow = true;
        o.reconnect = true;
        py::gil_scoped_release nogil;  // starts the Redis thread
        reader_ = std::make_unique<StreamReader>(std::move(o));
    }
    ~EventIterator() { destroy_without_gil(reader_); }
    EventIterator(const EventIterator&) = delete;
    EventIterator& operator=(const EventIterator&) = delete;

    // The next StreamEvent; None when block_ms > 0 passed with nothing new (never ends).
    py::object next() {
        for (;;) {
            while (index_ < batch_size_) {
                if (PyObject* ev = make(batch_[index_++])) return py::reinterpret_steal<py::object>(ev);
                if (PyErr_Occurred()) throw py::error_already_set();
            }
            if (!wait_for_batch()) return py::none();
        }
    }

    py::dict stats() const {
        py::dict d = stats_dict(*reader_);
        d["delivered"] = delivered_;
        d["json_fallbacks"] = convert_.fallbacks();
        d["undecodable"] = undecodable_;
        return d;
    }
    py::list streams() const { return stream_list(*reader_); }
    bool connected() const { return reader_->connected(); }

    // (live, {(mdt, action, status): count}, oldest_live_ms or None, events_applied,
    //  unmatched_purges, last_id or None)
    py::tuple live_state() const {
        py::dict counts;
        for (const auto& row : live_.breakdown())
            counts[py::make_tuple(py::str(row.mdt.data(), row.mdt.size()), py::str(row.action.data(), row.action.size()),
                                  py::str(row.status.data(), row.status.size()))] = row.count;
        const auto oldest = live_.oldest_live_ms();
        const auto last = live_.last_id();
        return py::make_tuple(live_.live(), counts, oldest ? py::object(py::int_(*oldest)) : py::object(py::none()),
                              live_.events_applied(), live_.unmatched_purges(),
                              last.empty() ? py::object(py::none()) : py::object(py::str(last.str())));
    }

private:
    // Waits for a batch with events: true when one came, false when block_ms passed first.
    bool wait_for_batch() {
        const auto start = std::chrono::steady_clock::now();
        const auto deadline = start + std::chrono::milliseconds(block_ms_);
        for (;;) {
            auto slice = std::chrono::duration_cast<std::chrono::milliseconds>(kSignalSlice);
            if (block_ms_ > 0)
                slice = std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       deadline - std::chrono::steady_clock::now()),
                                   0ms, slice);
            const hsm::consume::Batch* batch = nullptr;
            {
                py::gil_scoped_release nogil;
                batch = &reader_->read(slice);
            }
            batch_ = batch->begin();
            batch_size_ = batch->size();
            index_ = 0;
            if (PyErr_CheckSignals() != 0) throw py::error_already_set();
            if (batch_size_ > 0) return true;
            if (block_ms_ > 0 && std::chrono::steady_clock::now() >= deadline) return false;
        }
    }

    PyObject* stream_name(std::string_view name) {
        if (name != last_stream_) {
            auto it = streams_.find(std::string(name));
            if (it == streams_.end()) it = streams_.emplace(std::string(name), key_text(name)).first;
            last_stream_ = it->first;
            last_stream_obj_ = it->second.ptr();
        }
        return hsm::python::new_ref(last_stream_obj_);
    }

    // A new StreamEvent, or nullptr: with a Python error set (propagate), or without one when
    // the entry's JSON could not be turned into Python values (skipped, counted and logged).
    PyObject* make(const Event& ev) {
        live_.apply(ev);
        PyObject* data = convert_.convert(ev.data, kJsonPadding);
        if (!data) {
            if (!PyErr_ExceptionMatches(PyExc_ValueError)) return nullptr;
            PyErr_Clear();
            if (++undecodable_ <= 10) {
                std::string stream;  // a key name from Redis: control bytes escaped before logging
                hsm::json::append_escaped(stream, ev.stream);
                spdlog::warn("skipping entry {} of {}: its data is not JSON Python can read{}", ev.id.str(), stream,
                             undecodable_ == 10 ? " (further ones are counted, not logged)" : "");
            }
            return nullptr;
        }
        char buf[48];
        auto end = std::to_chars(buf, buf + 21, ev.id.ms).ptr;
        *end++ = '-';
        end = std::to_chars(end, buf + sizeof buf, ev.id.seq).ptr;
        PyObject* id = PyUnicode_FromStringAndSize(buf, end - buf);
        auto* cls = reinterpret_cast<PyTypeObject*>(event_class_.ptr());
        // What tuple.__new__ does for a namedtuple, minus building an argument tuple first.
        PyObject* out = id ? cls->tp_alloc(cls, 3) : nullptr;
        if (!out) {
            Py_XDECREF(id);
            Py_DECREF(data);
            return nullptr;
        }
        PyTuple_SET_ITEM(out, 0, stream_name(ev.stream));
        PyTuple_SET_ITEM(out, 1, id);
        PyTuple_SET_ITEM(out, 2, data);
        // A dict of plain values is not tracked by the garbage collector; neither need the
        // tuple holding it be (CPython would untrack it at its first collection anyway). Done
        // now, a replay does not trigger a collection every few hundred events.
        if (!PyObject_GC_IsTracked(data)) PyObject_GC_UnTrack(out);
        ++delivered_;
        return out;
    }

    std::int64_t block_ms_;
    py::type event_class_;
    std::unique_ptr<StreamReader> reader_;
    const Event* batch_ = nullptr;
    std::size_t batch_size_ = 0;
    std::size_t index_ = 0;
    hsm::consume::LiveState live_;
    hsm::python::JsonToPython convert_;
    std::unordered_map<std::string, py::str> streams_;
    std::string last_stream_;
    PyObject* last_stream_obj_ = nullptr;  // borrowed from streams_
    std::uint64_t delivered_ = 0;
    std::uint64_t undecodable_ = 0;
};

// discover_streams(): one SCAN through the same discovery the reader uses. Like the Python
// version it waits (with backoff, interruptible) until Redis answers.
py::list discover(const py::dict& options) {
    ReaderOptions o = reader_options(options);
    o.start = hsm::consume::StartAt::Now;  // read nothing: only discover
    o.follow = false;
    o.reconnect = true;
    std::unique_ptr<StreamReader> reader;
    {
        py::gil_scoped_release nogil;
        reader = std::make_unique<StreamReader>(std::move(o));
    }
    for (;;) {
        bool done = false;
        {
            py::gil_scoped_release nogil;
            reader->read(std::chrono::duration_cast<std::chrono::milliseconds>(kSignalSlice));
            done = reader->finished() || reader->stats().discoveries > 0;
        }
        if (PyErr_CheckSignals() != 0) {
            destroy_without_gil(reader);
            throw py::error_already_set();
        }
        if (done) break;
    }
    std::vector<std::string> names;
    for (const auto& s : reader->streams()) names.push_back(s.name);
    std::sort(names.begin(), names.end());
    destroy_without_gil(reader);
    py::list out;
    for (auto& n : names) out.append(key_text(n));
    return out;
}

}  // namespace

PYBIND11_MODULE(_consumer, m) {
    m.doc() = "Native half of lustre_hsm_action_stream.consumer (use that module, not this one).";
    // The library logs through spdlog: to stderr, like the tools, never to stdout (which is the
    // consumer's own output), at Python's default level until a reader says otherwise.
    hsm::setup_logging("warning", "", "lustre_hsm_action_stream");

    m.def("set_log_level", &set_log_level, py::arg("python_level"),
          "Sets the native library's log level from a Python logging level (10 DEBUG .. 50 CRITICAL).");
    m.def("discover", &discover, py::arg("options"),
          "Stream names matching <prefix>:*, sorted; waits until Redis answers.");

    py::class_<EventIterator>(m, "_EventIterator")
        .def(py::init<const py::dict&, bool, std::int64_t, py::type>(), py::arg("options"),
             py::arg("from_beginning"), py::arg("block_ms"), py::arg("event_class"))
        .def("__iter__", [](py::object self) { return self; })
        .def("__next__", &EventIterator::next)
        .def("stats", &EventIterator::stats)
        .def("streams", &EventIterator::streams)
        .def("connected", &EventIterator::connected)
        .def("live_state", &EventIterator::live_state);
}
