// A typed view on a resource's JSON. A missing or ill-typed field throws FieldError naming the
// field path; the engine turns it into a 0004 error.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace cloudcix::drivers {

class FieldError : public std::runtime_error {
public:
    FieldError(std::string path, const std::string& what);
    const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

// Field access by dotted path ("project.id", "gateway_subnet.vlan") on a JSON object.
class Fields {
public:
    Fields(std::string name, const boost::json::object& obj) : name_(std::move(name)), obj_(&obj) {}

    const boost::json::object& json() const noexcept { return *obj_; }
    const std::string& name() const noexcept { return name_; }  // "vm #1501" for messages

    bool has(std::string_view path) const;  // present and not null
    long long integer(std::string_view path) const;
    std::string string(std::string_view path) const;
    bool boolean(std::string_view path) const;
    const boost::json::array& array(std::string_view path) const;
    const boost::json::object& object(std::string_view path) const;
    Fields sub(std::string_view path) const;  // a nested object as Fields

    std::optional<long long> optional_integer(std::string_view path) const;
    std::optional<std::string> optional_string(std::string_view path) const;

private:
    const boost::json::value* find(std::string_view path) const;
    const boost::json::value& require(std::string_view path) const;
    std::string full(std::string_view path) const;

    std::string name_;
    const boost::json::object* obj_;
};

// Same accessors on a JSON value that must be an object (array items).
Fields fields_of(const boost::json::value& v, std::string name);

}  // namespace cloudcix::drivers
