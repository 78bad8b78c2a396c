// JSON lines, the secret-field redactor, and the JSON/file sink.
#include <cctype>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/log_sinks.hpp"

namespace cloudcix::drivers {
namespace {

bool ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

bool names_secret(std::string_view key) {
    std::string k;
    for (char c : key) k += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    static constexpr std::string_view kWords[] = {"password", "passwd", "secret", "token", "api_key", "apikey",
                                                  "pre_shared", "preshared", "psk", "private_key"};
    for (auto w : kWords)
        if (k.find(w) != std::string::npos) return true;
    return false;
}

std::string iso_time(std::chrono::system_clock::time_point t) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
    std::time_t secs = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
    return buf;
}

}  // namespace

namespace secrets {
std::string redact_fields(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t i = 0;
    while (i < text.size()) {
        if (!ident_char(text[i]) || (i > 0 && ident_char(text[i - 1]))) {
            out += text[i++];
            continue;
        }
        std::size_t end = i;
        while (end < text.size() && ident_char(text[end])) ++end;
        std::string_view key = text.substr(i, end - i);
        out.append(key);
        i = end;
        if (!names_secret(key)) continue;
        // key["'] or key\" then spaces, ':' or '=', spaces, then the value.
        std::size_t j = i;
        if (j < text.size() && text[j] == '\\') ++j;
        if (j < text.size() && (text[j] == '"' || text[j] == '\'')) ++j;
        while (j < text.size() && text[j] == ' ') ++j;
        if (j >= text.size() || (text[j] != ':' && text[j] != '=')) continue;
        ++j;
        while (j < text.size() && text[j] == ' ') ++j;
        std::string_view rest = text.substr(j);
        std::string_view open;
        if (rest.starts_with("\\\"")) open = "\\\"";
        else if (!rest.empty() && (rest[0] == '"' || rest[0] == '\'')) open = rest.substr(0, 1);
        std::size_t value_start = j + open.size(), value_end;
        if (!open.empty()) {
            value_end = value_start;
            while (value_end < text.size() && text.substr(value_end, open.size()) != open) {
                if (open.size() == 1 && text[value_end] == '\\') ++value_end;  // an escaped character
                ++value_end;
            }
            value_end = std::min(value_end, text.size());
        } else {
            value_end = value_start;
            while (value_end < text.size() && !std::isspace(static_cast<unsigned char>(text[value_end])) &&
                   std::string_view(",;&}])").find(text[value_end]) == std::string_view::npos)
                ++value_end;
        }
        std::string_view value = text.substr(value_start, value_end - value_start);
        if (value.empty() || value == "null" || value == "***") continue;
        out.append(text.substr(i, value_start - i));
        out += "***";
        i = value_end;
    }
    return out;
}
}  // namespace secrets

std::string to_json_line(const LogRecord& r, const LogFields& fields) {
    boost::json::object o;
    o["time"] = iso_time(r.time);
    o["level"] = to_string(r.level);
    o["logger"] = r.logger;
    o["message"] = secrets::redact_fields(secrets::redact(r.message));
    if (!r.trace_id.empty()) o["trace_id"] = r.trace_id;
    if (!r.span_id.empty()) o["span_id"] = r.span_id;
    if (!r.driver.empty()) o["driver"] = r.driver;
    if (!r.verb.empty()) o["verb"] = r.verb;
    if (r.resource_id != 0) o["resource_id"] = r.resource_id;
    for (const auto& [k, v] : fields)
        if (!o.contains(k)) o[k] = secrets::redact(v);
    return boost::json::serialize(o);
}

JsonLogSink::JsonLogSink(std::ostream& out, LogLevel min, LogFields fields)
    : out_(out), min_(min), fields_(std::move(fields)) {}

JsonLogSink::JsonLogSink(const std::string& path, LogLevel min, LogFields fields)
    : file_(std::make_unique<std::ofstream>(path, std::ios::app)), out_(*file_), min_(min), fields_(std::move(fields)) {
    if (!*file_) throw std::runtime_error("cannot open log file " + path);
}

void JsonLogSink::write(const LogRecord& record) {
    if (record.level < min_) return;
    std::string line = to_json_line(record, fields_);
    line += '\n';
    std::lock_guard lock(mutex_);
    out_ << line << std::flush;
}

}  // namespace cloudcix::drivers
