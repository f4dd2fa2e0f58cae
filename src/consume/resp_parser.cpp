// RespParser and its buffer (see resp_parser.hpp).
#include "consume/resp_parser.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace hsm::consume::detail {

char* ByteBuffer::prepare(std::size_t n) {
    if (size_ + n > capacity_) {
        const std::size_t cap = std::max(size_ + n, capacity_ * 2);
        auto bigger = std::make_unique_for_overwrite<char[]>(cap);  // not zeroed: read(2) fills it
        if (size_) std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        capacity_ = cap;
    }
    return data_.get() + size_;
}

void RespParser::reset(ByteBuffer buffer) {
    buf_ = std::move(buffer);
    buf_.clear();
    pos_ = 0;
    open_.clear();
    items_.clear();
    complete_ = false;
}

void RespParser::element_done() {
    while (true) {
        if (open_.empty()) {
            complete_ = true;
            return;
        }
        if (--open_.back() > 0) return;
        open_.pop_back();
    }
}

bool RespParser::parse() {
    while (!complete_) {
        const char* base = buf_.data();
        // Headers are a few bytes ("$523\r\n"): a plain loop beats memchr's call overhead.
        std::size_t eol = pos_;
        while (eol < buf_.size() && base[eol] != '\r') ++eol;
        if (eol + 1 >= buf_.size()) return true;  // need more
        if (base[eol + 1] != '\n') return false;
        // Offsets are 32-bit (items stay small); a reply that large is no reply of ours.
        if (eol + 2 > UINT32_MAX) return false;
        const char type = base[pos_];
        const std::size_t body = pos_ + 1;
        std::int64_t n = 0;
        if (type == '*' || type == '$' || type == ':') {
            auto r = std::from_chars(base + body, base + eol, n);
            if (r.ec != std::errc{} || r.ptr != base + eol) return false;
        }
        switch (type) {
            case '*':
                if (n > kMaxBulkLength) return false;  // no reply of ours has that many elements
                items_.push_back({n < 0 ? RespItem::Nil : RespItem::Array, 0, n});
                pos_ = eol + 2;
                if (n > 0) open_.push_back(n);
                else element_done();
                break;
            case '$':
                if (n < 0) {
                    items_.push_back({RespItem::Nil, 0, 0});
                    pos_ = eol + 2;
                } else {
                    if (n > kMaxBulkLength) return false;
                    const std::size_t end = eol + 2 + static_cast<std::size_t>(n);  // of the bytes
                    if (end + 2 > buf_.size()) return true;  // need more
                    if (base[end] != '\r' || base[end + 1] != '\n') return false;
                    items_.push_back({RespItem::Bulk, static_cast<std::uint32_t>(eol + 2), n});
                    pos_ = end + 2;
                }
                element_done();
                break;
            case ':':
                items_.push_back({RespItem::Integer, 0, n});
                pos_ = eol + 2;
                element_done();
                break;
            case '+':
            case '-':
                items_.push_back({type == '+' ? RespItem::Status : RespItem::Error, static_cast<std::uint32_t>(body),
                                  static_cast<std::int64_t>(eol - body)});
                pos_ = eol + 2;
                element_done();
                break;
            default:
                return false;
        }
    }
    return true;
}

}  // namespace hsm::consume::detail
