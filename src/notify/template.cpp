// The e-mail template language (include/cloudcix_drivers/notify/smtp.hpp): values, sections,
// inverted sections; every inserted value is HTML-escaped.
#include <boost/json/serialize.hpp>
#include <stdexcept>
#include <vector>

#include "cloudcix_drivers/notify/smtp.hpp"

namespace cloudcix::drivers::email {
namespace {

namespace json = boost::json;
using Stack = std::vector<const json::value*>;

void pretty(const json::value& v, std::string& out, int indent) {
    auto pad = [&](int n) { out.append(static_cast<std::size_t>(n) * 2, ' '); };
    if (v.is_object()) {
        const auto& o = v.get_object();
        if (o.empty()) {
            out += "{}";
            return;
        }
        out += "{\n";
        std::size_t i = 0;
        for (const auto& [k, x] : o) {
            pad(indent + 1);
            out += json::serialize(json::string(k)) + ": ";
            pretty(x, out, indent + 1);
            out += ++i < o.size() ? ",\n" : "\n";
        }
        pad(indent);
        out += "}";
    } else if (v.is_array()) {
        const auto& a = v.get_array();
        if (a.empty()) {
            out += "[]";
            return;
        }
        out += "[\n";
        for (std::size_t i = 0; i < a.size(); ++i) {
            pad(indent + 1);
            pretty(a[i], out, indent + 1);
            out += i + 1 < a.size() ? ",\n" : "\n";
        }
        pad(indent);
        out += "]";
    } else {
        out += json::serialize(v);
    }
}

std::string text_of(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_null()) return "";
    if (v.is_object() || v.is_array()) {
        std::string out;
        pretty(v, out, 0);
        return out;
    }
    return json::serialize(v);
}

bool truthy(const json::value* v) {
    if (v == nullptr || v->is_null()) return false;
    if (v->is_bool()) return v->get_bool();
    if (v->is_string()) return !v->get_string().empty();
    if (v->is_array()) return !v->get_array().empty();
    if (v->is_object()) return !v->get_object().empty();
    return true;
}

const json::value* lookup(const Stack& stack, std::string_view name) {
    if (name == ".") return stack.back();
    std::string_view first = name.substr(0, name.find('.'));
    for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
        if (!(*it)->is_object()) continue;
        const json::value* v = (*it)->get_object().if_contains(first);
        if (v == nullptr) continue;
        std::string_view rest = first.size() < name.size() ? name.substr(first.size() + 1) : std::string_view();
        while (!rest.empty()) {
            std::string_view part = rest.substr(0, rest.find('.'));
            rest = part.size() < rest.size() ? rest.substr(part.size() + 1) : std::string_view();
            v = v->is_object() ? v->get_object().if_contains(part) : nullptr;
            if (v == nullptr) return nullptr;
        }
        return v;
    }
    return nullptr;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

void render_into(std::string_view text, Stack& stack, std::string& out) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            out.append(text.substr(pos));
            return;
        }
        out.append(text.substr(pos, open - pos));
        std::size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) throw std::runtime_error("template: '{{' without '}}'");
        std::string_view tag = trim(text.substr(open + 2, close - open - 2));
        pos = close + 2;
        if (tag.empty()) continue;
        if (tag[0] == '/') throw std::runtime_error("template: unexpected {{" + std::string(tag) + "}}");
        if (tag[0] != '#' && tag[0] != '^') {
            if (const auto* v = lookup(stack, tag)) out += html_escape(text_of(*v));
            continue;
        }
        // A section: find its matching end, counting nested sections of the same name.
        std::string name(trim(tag.substr(1)));
        std::string start_a = "{{#" + name + "}}", start_b = "{{^" + name + "}}", end = "{{/" + name + "}}";
        std::size_t depth = 1, scan = pos, end_at = std::string_view::npos;
        while (depth > 0) {
            std::size_t e = text.find(end, scan);
            if (e == std::string_view::npos) throw std::runtime_error("template: section '" + name + "' is not closed");
            std::size_t a = text.find(start_a, scan), b = text.find(start_b, scan);
            std::size_t nested = std::min(a, b);
            if (nested < e) {
                ++depth;
                scan = nested + start_a.size();
            } else {
                --depth;
                end_at = e;
                scan = e + end.size();
            }
        }
        std::string_view inner = text.substr(pos, end_at - pos);
        pos = end_at + end.size();
        const json::value* v = lookup(stack, name);
        if (tag[0] == '^') {
            if (!truthy(v)) render_into(inner, stack, out);
        } else if (truthy(v)) {
            if (v->is_array()) {
                for (const auto& element : v->get_array()) {
                    stack.push_back(&element);
                    render_into(inner, stack, out);
                    stack.pop_back();
                }
            } else {
                stack.push_back(v);
                render_into(inner, stack, out);
                stack.pop_back();
            }
        }
    }
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string render(std::string_view text, const json::object& data) {
    json::value root(data);
    Stack stack{&root};
    std::string out;
    render_into(text, stack, out);
    return out;
}

}  // namespace cloudcix::drivers::email
