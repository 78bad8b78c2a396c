#include "cloudcix_drivers/resource.hpp"

namespace cloudcix::drivers {
namespace {
std::string_view kind(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: return "null";
        case boost::json::kind::bool_: return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64: return "an integer";
        case boost::json::kind::double_: return "a number";
        case boost::json::kind::string: return "a string";
        case boost::json::kind::array: return "a list";
        case boost::json::kind::object: return "an object";
    }
    return "a value";
}
}  // namespace

FieldError::FieldError(std::string path, const std::string& what) : std::runtime_error(what), path_(std::move(path)) {}

std::string Fields::full(std::string_view path) const {
    return std::string(path);
}

const boost::json::value* Fields::find(std::string_view path) const {
    const boost::json::object* o = obj_;
    const boost::json::value* v = nullptr;
    while (true) {
        auto dot = path.find('.');
        auto key = path.substr(0, dot);
        auto it = o->find(key);
        if (it == o->end()) return nullptr;
        v = &it->value();
        if (dot == std::string_view::npos) return v;
        if (!v->is_object()) return nullptr;
        o = &v->get_object();
        path.remove_prefix(dot + 1);
    }
}

const boost::json::value& Fields::require(std::string_view path) const {
    const auto* v = find(path);
    if (v == nullptr || v->is_null())
        throw FieldError(full(path), name_ + ": field '" + full(path) + "' is missing");
    return *v;
}

bool Fields::has(std::string_view path) const {
    const auto* v = find(path);
    return v != nullptr && !v->is_null();
}

long long Fields::integer(std::string_view path) const {
    const auto& v = require(path);
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<long long>(v.get_uint64());
    throw FieldError(full(path), name_ + ": field '" + full(path) + "' must be an integer, not " + std::string(kind(v)));
}

std::string Fields::string(std::string_view path) const {
    const auto& v = require(path);
    if (!v.is_string())
        throw FieldError(full(path), name_ + ": field '" + full(path) + "' must be a string, not " + std::string(kind(v)));
    return std::string(v.get_string());
}

bool Fields::boolean(std::string_view path) const {
    const auto& v = require(path);
    if (!v.is_bool())
        throw FieldError(full(path), name_ + ": field '" + full(path) + "' must be a boolean, not " + std::string(kind(v)));
    return v.get_bool();
}

const boost::json::array& Fields::array(std::string_view path) const {
    const auto& v = require(path);
    if (!v.is_array())
        throw FieldError(full(path), name_ + ": field '" + full(path) + "' must be a list, not " + std::string(kind(v)));
    return v.get_array();
}

const boost::json::object& Fields::object(std::string_view path) const {
    const auto& v = require(path);
    if (!v.is_object())
        throw FieldError(full(path), name_ + ": field '" + full(path) + "' must be an object, not " + std::string(kind(v)));
    return v.get_object();
}

Fields Fields::sub(std::string_view path) const { return Fields(name_ + " " + std::string(path), object(path)); }

std::optional<long long> Fields::optional_integer(std::string_view path) const {
    if (!has(path)) return std::nullopt;
    return integer(path);
}

std::optional<std::string> Fields::optional_string(std::string_view path) const {
    if (!has(path)) return std::nullopt;
    return string(path);
}

Fields fields_of(const boost::json::value& v, std::string name) {
    if (!v.is_object()) throw FieldError(name, name + " must be an object, not " + std::string(kind(v)));
    return Fields(std::move(name), v.get_object());
}

}  // namespace cloudcix::drivers
