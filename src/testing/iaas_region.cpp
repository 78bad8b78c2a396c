// The IaaS API contract (spec §2) over a region held in memory. Used by MemoryIaas (in-process)
// and by the simulator server; the behaviour a driver meets is the same in both.
#include <algorithm>
#include <charconv>
#include <map>
#include <random>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "cloudcix_drivers/registry.hpp"
#include "cloudcix_drivers/testing.hpp"

namespace cloudcix::drivers {
namespace json = boost::json;

namespace {

HttpResponse reply(int status, const json::value& body) {
    HttpResponse r;
    r.status = status;
    r.headers = {{"Content-Type", "application/json"}};
    if (!body.is_null()) r.body = json::serialize(body);
    return r;
}

HttpResponse error(int status, std::string_view code, std::string_view detail) {
    return reply(status, json::object{{"error_code", code}, {"detail", detail}});
}

HttpResponse field_error(std::string_view field, std::string_view code, std::string_view detail) {
    return reply(400, json::object{{"errors", json::object{{field, json::object{{"error_code", code}, {"detail", detail}}}}},
                                   {"detail", "Bad request."}});
}

std::string decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int v = 0;
            std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            out.push_back(static_cast<char>(v));
            i += 2;
        } else if (s[i] == '+') {
            out.push_back(' ');
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::optional<long long> to_int(std::string_view s) {
    long long n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return n;
}

long long id_of(const json::object& o) {
    const auto* v = o.if_contains("id");
    return v && v->is_int64() ? v->get_int64() : 0;
}

// Error-code numbers per service for a refused state PATCH (spec §2.5):
// not an integer, out of range, current state not in the map, transition not allowed.
struct StateCodes {
    std::string_view service;
    int not_int, out_of_range, not_in_map, not_allowed;
};
constexpr StateCodes kStateCodes[] = {
    {"vm", 104, 105, 106, 107},       {"virtual_router", 101, 102, 103, 104},
    {"snapshot", 103, 104, 105, 106}, {"backup", 103, 104, 105, 106},
    {"ceph", 101, 101, 102, 103},
};

std::string code(std::string_view service, std::string_view verb, int n) {
    char d[8];
    std::snprintf(d, sizeof d, "%03d", n);
    return "iaas_" + std::string(service) + "_" + std::string(verb) + "_" + d;
}

const std::string_view kServices[] = {"vm", "virtual_router", "snapshot", "backup", "ceph", "server", "server_type",
                                      "ip_address", "subnet", "vpn", "device", "storage", "router", "project",
                                      "image"};


}  // namespace

struct IaasRegion::Impl {
    mutable std::mutex mutex;
    std::map<std::string, std::map<long long, json::object>, std::less<>> tables;
    json::object credentials;
    std::map<std::string, std::chrono::steady_clock::time_point> tokens;
    std::set<std::string> expired;  // tokens told to expire now
    std::chrono::seconds token_lifetime{0};
    std::size_t requests = 0;
    std::map<std::pair<std::string, long long>, std::size_t> patch_count;
    Hook hook;

    const json::object* find(std::string_view service, long long id) const {
        auto t = tables.find(service);
        if (t == tables.end()) return nullptr;
        auto o = t->second.find(id);
        return o == t->second.end() ? nullptr : &o->second;
    }

    // The object as the API serialises it: VMs and VRs carry their project, snapshots and
    // backups their VM.
    json::object compose(std::string_view service, const json::object& stored) const {
        json::object o = stored;
        auto attach = [&](std::string_view key, std::string_view table, bool deep) {
            const auto* ref = stored.if_contains(std::string(key) + "_id");
            if (ref == nullptr || !ref->is_int64()) return;
            if (const auto* related = find(table, ref->get_int64()))
                o[key] = deep ? compose(table, *related) : json::value(*related);
        };
        if (service == "vm" || service == "virtual_router") attach("project", "project", false);
        if (service == "snapshot" || service == "backup") attach("vm", "vm", true);
        if (service == "server") attach("type", "server_type", false);
        return o;
    }

    // Field lookup with Django-style `a__b` paths; `x` resolves through `x_id` to table `x`.
    const json::value* lookup(std::string_view service, const json::object& obj, std::string_view path,
                              json::value& holder) const {
        const json::object* cur = &obj;
        std::string table(service);
        while (true) {
            auto sep = path.find("__");
            std::string key(path.substr(0, sep));
            const json::value* v = cur->if_contains(key);
            if (v == nullptr) {
                const auto* ref = cur->if_contains(key + "_id");
                if (ref && ref->is_int64())
                    if (const auto* rel = find(key == "type" ? "server_type" : key, ref->get_int64())) {
                        holder = *rel;
                        v = &holder;
                    }
                if (v == nullptr && ref && ref->is_null()) v = ref;
            }
            if (v == nullptr) return nullptr;
            if (sep == std::string_view::npos) return v;
            if (!v->is_object()) return v->is_null() ? v : nullptr;
            cur = &v->get_object();
            path.remove_prefix(sep + 2);
        }
    }

    bool matches(std::string_view service, const json::object& obj, std::string field, const std::string& want) const {
        static const std::string_view kOps[] = {"gte", "gt", "lte", "lt", "in", "isnull", "icontains", "iexact",
                                                "istartswith", "iendswith", "range"};
        std::string op = "exact";
        if (auto p = field.rfind("__"); p != std::string::npos)
            for (auto o : kOps)
                if (field.substr(p + 2) == o) {
                    op = o;
                    field.resize(p);
                    break;  // field is shorter now: comparing on would read past its end
                }
        json::value holder;
        const json::value* v = lookup(service, obj, field, holder);
        if (op == "isnull") return (v == nullptr || v->is_null()) == (want == "true" || want == "True");
        if (v == nullptr || v->is_null()) return false;
        auto text = [](const json::value& x) {
            return x.is_string() ? std::string(x.get_string()) : json::serialize(x);
        };
        std::string have = text(*v);
        if (op == "exact") return have == want || (v->is_bool() && have == (want == "True" ? "true" : want));
        if (op == "iexact" || op == "icontains" || op == "istartswith" || op == "iendswith") {
            auto lower = [](std::string s) {
                for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                return s;
            };
            std::string h = lower(have), w = lower(want);
            if (op == "iexact") return h == w;
            if (op == "icontains") return h.find(w) != std::string::npos;
            if (op == "istartswith") return h.rfind(w, 0) == 0;
            return h.size() >= w.size() && h.compare(h.size() - w.size(), w.size(), w) == 0;
        }
        if (op == "in") {
            std::string list = want;
            list.erase(std::remove_if(list.begin(), list.end(), [](char c) { return c == '[' || c == ']' || c == ' '; }),
                       list.end());
            std::size_t start = 0;
            while (start <= list.size()) {
                auto comma = list.find(',', start);
                std::string item = list.substr(start, comma - start);
                if (!item.empty() && (item == have || "'" + have + "'" == item)) return true;
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            return false;
        }
        auto a = v->is_int64() ? std::optional<long long>(v->get_int64()) : to_int(have);
        auto b = to_int(want);
        if (!a || !b) return false;
        if (op == "gt") return *a > *b;
        if (op == "gte") return *a >= *b;
        if (op == "lt") return *a < *b;
        if (op == "lte") return *a <= *b;
        return false;
    }

    HttpResponse list(std::string_view service, const std::map<std::string, std::string>& params) const {
        auto t = tables.find(service);
        json::array all;
        if (t != tables.end()) {
            for (const auto& [id, stored] : t->second) {
                json::object o = compose(service, stored);
                bool keep = true;
                for (const auto& [k, v] : params) {
                    if (k.rfind("search[", 0) == 0 && k.back() == ']') keep = keep && matches(service, o, k.substr(7, k.size() - 8), v);
                    if (k.rfind("exclude[", 0) == 0 && k.back() == ']') keep = keep && !matches(service, o, k.substr(8, k.size() - 9), v);
                }
                if (keep) all.push_back(std::move(o));
            }
        }
        std::string order = params.count("order") ? params.at("order") : "id";
        bool desc = !order.empty() && order[0] == '-';
        std::string key = desc ? order.substr(1) : order;
        std::stable_sort(all.begin(), all.end(), [&](const json::value& a, const json::value& b) {
            const auto* x = a.get_object().if_contains(key);
            const auto* y = b.get_object().if_contains(key);
            std::string sx = x ? json::serialize(*x) : "", sy = y ? json::serialize(*y) : "";
            if (x && y && x->is_int64() && y->is_int64()) return desc ? x->get_int64() > y->get_int64() : x->get_int64() < y->get_int64();
            return desc ? sx > sy : sx < sy;
        });
        long long limit = 50, page = 0;
        if (auto it = params.find("limit"); it != params.end()) limit = std::clamp(to_int(it->second).value_or(50), 1LL, 100LL);
        if (auto it = params.find("page"); it != params.end()) page = std::max(0LL, to_int(it->second).value_or(0));
        json::array slice;
        for (long long i = page * limit; i < static_cast<long long>(all.size()) && i < (page + 1) * limit; ++i)
            slice.push_back(all[static_cast<std::size_t>(i)]);
        return reply(200, json::object{{"content", std::move(slice)},
                                       {"_metadata", json::object{{"page", page}, {"limit", limit}, {"order", order},
                                                                  {"total_records", all.size()}, {"warnings", json::array{}}}}});
    }

    // The API's own checks on a robot state change (spec §2.5, §2.8).
    std::optional<HttpResponse> check_state(std::string_view service, const json::object& obj, const json::value& want) {
        const StateCodes* codes = nullptr;
        for (const auto& c : kStateCodes)
            if (c.service == service) codes = &c;
        if (codes == nullptr) return std::nullopt;
        if (!want.is_int64()) return field_error("state", code(service, "update", codes->not_int), "state must be an integer");
        auto to = state_from_int(want.get_int64());
        if (!to || *to == State::IN_API) return field_error("state", code(service, "update", codes->out_of_range), "state is out of range");
        auto from = state_from_int(obj.at("state").as_int64());
        if (service == "snapshot" || service == "backup") {
            if (service == "snapshot") {
                if (const auto* vm = find("vm", obj.at("vm_id").as_int64()); vm && vm->contains("gpu") && vm->at("gpu").as_int64() > 0)
                    return error(400, code(service, "update", 3), "The VM of this snapshot has GPUs attached.");
            }
            const auto* vm = find("vm", obj.at("vm_id").as_int64());
            if (vm == nullptr || vm->at("state").as_int64() != static_cast<int>(State::RUNNING))
                return field_error("state", code(service, "update", 107), "The VM must be RUNNING.");
        }
        if (*from == *to) return std::nullopt;
        bool key = false;
        for (State s : {State::REQUESTED, State::BUILDING, State::UNRESOURCED, State::QUIESCE, State::RESTART, State::SCRUB,
                        State::RUNNING_UPDATE, State::RUNNING_UPDATING, State::QUIESCED_UPDATE, State::QUIESCED_UPDATING,
                        State::QUIESCING, State::RESTARTING, State::SCRUB_PREP, State::SCRUB_QUEUE, State::SCRUBBING})
            key = key || s == *from;
        if (!key) return field_error("state", code(service, "update", codes->not_in_map), "The current state cannot be changed by the robot.");
        if (!robot_may_set(*from, *to))
            return field_error("state", code(service, "update", codes->not_allowed), "The requested state transition is not allowed.");
        if (service == "vm") {
            for (const auto& [sid, snap] : tables["snapshot"])
                if (snap.at("vm_id").as_int64() == id_of(obj) && !is_stable(*state_from_int(snap.at("state").as_int64())))
                    return field_error("state", "iaas_vm_update_110", "A snapshot of this VM is not in a stable state.");
        }
        if (service == "virtual_router" && *to == State::SCRUBBING) {
            for (const auto& [vid, vm] : tables["vm"])
                if (vm.at("project_id") == obj.at("project_id") && vm.at("state").as_int64() != 99)
                    return error(400, "iaas_virtual_router_update_003", "The project still has VMs that are not closed.");
        }
        return std::nullopt;
    }

    void side_effects(std::string_view service, json::object& obj, State to) {
        if (service == "vm" && to == State::CLOSED) {
            auto& ips = tables["ip_address"];
            for (auto it = ips.begin(); it != ips.end();)
                it = (it->second.if_contains("vm_id") && it->second.at("vm_id") == obj.at("id")) ? ips.erase(it) : std::next(it);
        }
        if (service == "vm" || service == "virtual_router")
            if (auto* p = obj.if_contains("project_id"); p && p->is_int64())
                if (auto t = tables["project"].find(p->get_int64()); t != tables["project"].end())
                    t->second["run_robot"] = true;
        if (service == "snapshot") snapshot_tree_effects(obj, to);
        if (service == "vm") {
            json::object row{{"state", static_cast<int>(to)}, {"vm_id", obj.at("id")}, {"modified_by", 0}};
            auto& history = obj["history"];
            if (!history.is_array()) history = json::array{};
            history.get_array().insert(history.get_array().begin(), std::move(row));
        }
    }

    // Snapshot → SCRUBBING with remove_subtree takes its descendants along; → CLOSED closes them
    // (remove_subtree) or hands them to its parent, and hands the `active` flag to the parent.
    void snapshot_tree_effects(json::object& snap, State to) {
        if (to != State::SCRUBBING && to != State::CLOSED) return;
        long long id = id_of(snap);
        bool subtree = snap.contains("remove_subtree") && snap.at("remove_subtree").is_bool() && snap.at("remove_subtree").get_bool();
        auto& snaps = tables["snapshot"];
        if (subtree) {
            std::vector<long long> frontier{id};
            while (!frontier.empty()) {
                long long parent = frontier.back();
                frontier.pop_back();
                for (auto& [cid, child] : snaps)
                    if (child.contains("parent_id") && child.at("parent_id") == json::value(parent)) {
                        child["state"] = static_cast<int>(to);
                        frontier.push_back(cid);
                    }
            }
        } else if (to == State::CLOSED) {
            for (auto& [cid, child] : snaps)
                if (child.contains("parent_id") && child.at("parent_id") == json::value(id)) child["parent_id"] = snap.at("parent_id");
        }
        if (to == State::CLOSED && snap.contains("active") && snap.at("active") == json::value(true)) {
            snap["active"] = false;
            if (const auto& parent = snap.at("parent_id"); parent.is_int64())
                if (auto p = snaps.find(parent.get_int64()); p != snaps.end()) p->second["active"] = true;
        }
    }

    // Snapshot and backup PATCHes always re-flag the VM's project (spec §2.8).
    void reflag_project_of_vm(const json::object& obj) {
        const auto* vm_id = obj.if_contains("vm_id");
        const auto* vm = vm_id && vm_id->is_int64() ? find("vm", vm_id->get_int64()) : nullptr;
        if (vm == nullptr) return;
        if (const auto* p = vm->if_contains("project_id"); p && p->is_int64())
            if (auto t = tables["project"].find(p->get_int64()); t != tables["project"].end()) t->second["run_robot"] = true;
    }

    HttpResponse patch(std::string_view service, long long id, std::string_view body) {
        auto t = tables.find(service);
        if (t == tables.end() || !t->second.count(id))
            return error(404, code(service, "update", 1), "The requested object does not exist.");
        boost::system::error_code ec;
        auto changes = json::parse(body, ec);
        if (ec || !changes.is_object()) return error(400, code(service, "update", 0), "The body is not a JSON object.");
        json::object& obj = t->second[id];
        if (service == "ceph")
            for (const auto& [k, v] : changes.get_object())
                if (k != "state") return error(403, "iaas_ceph_update_002", "The robot may only change the state of a Ceph drive.");
        if (service == "device")
            if (const auto* v = changes.get_object().if_contains("vm_id"); v && !v->is_null())
                return error(400, "iaas_device_update_109", "The robot may only free a device.");
        std::optional<State> to;
        if (const auto* s = changes.get_object().if_contains("state")) {
            if (auto refused = check_state(service, obj, *s)) return *refused;
            to = state_from_int(s->get_int64());
        }
        if (service == "backup")
            if (const auto* tv = changes.get_object().if_contains("time_valid"); tv && (!tv->is_string() || tv->get_string().size() != 19))
                return field_error("time_valid", "iaas_backup_update_108", "time_valid must be YYYY-MM-DD HH:MM:SS.");
        bool changed_state = to && static_cast<long long>(*to) != obj.at("state").as_int64();
        for (const auto& [k, v] : changes.get_object()) {
            if (service == "backup" && k == "time_valid") {
                std::string iso(v.get_string());
                iso[10] = 'T';
                obj[k] = iso;
            } else {
                obj[k] = v;
            }
        }
        ++patch_count[{std::string(service), id}];
        if (changed_state) side_effects(service, obj, *to);
        if (service == "snapshot" || service == "backup") reflag_project_of_vm(obj);
        return reply(200, json::object{{"content", compose(service, obj)}});
    }

    json::object driver_lists() const {
        json::object lists;
        for (auto verb : {"build", "quiesce", "restart", "scrub", "scrubprep", "updatequiesced", "updaterunning",
                          "quiesced_update", "running_update"})
            lists[verb] = json::array{};
        return lists;
    }

    HttpResponse run_robot() {
        std::set<long long> projects;
        for (const auto& [id, p] : tables["project"])
            if (const auto* f = p.if_contains("run_robot"); f && f->is_bool() && f->get_bool()) projects.insert(id);
        for (auto svc : {"vm", "virtual_router"})
            for (const auto& [id, o] : tables[svc])
                if (o.at("state").as_int64() == static_cast<int>(State::SCRUB_PREP)) projects.insert(o.at("project_id").as_int64());
        json::object resource;
        for (auto d : {"vm_kvm", "vm_hyperv", "vm_phantom", "virtual_router", "virtual_router_phantom", "snapshot_kvm",
                       "snapshot_hyperv", "backup_kvm", "backup_hyperv", "ceph", "gpu"})
            resource[d] = driver_lists();
        auto add = [&](std::string_view driver, const json::object& o, bool vm_like) {
            auto s = state_from_int(o.at("state").as_int64());
            if (!s) return;
            auto& lists = resource[driver].as_object();
            auto push = [&](const char* verb) { lists[verb].as_array().push_back(o.at("id")); };
            switch (*s) {
                case State::REQUESTED: push("build"); break;
                case State::QUIESCE: push("quiesce"); break;
                case State::RESTART: push("restart"); break;
                case State::SCRUB:
                    if (vm_like) push("scrubprep");
                    push("scrub");
                    break;
                case State::SCRUB_QUEUE:
                    if (vm_like && o.contains("scrub_queue_time_passed") && o.at("scrub_queue_time_passed").as_bool()) push("scrub");
                    break;
                case State::QUIESCED_UPDATE: push("updatequiesced"); push("quiesced_update"); break;
                case State::RUNNING_UPDATE: push("updaterunning"); push("running_update"); break;
                default: break;
            }
        };
        auto server_type = [&](long long server_id) -> long long {
            const auto* s = find("server", server_id);
            return s && s->contains("type_id") ? s->at("type_id").as_int64() : 0;
        };
        for (const auto& [id, vm] : tables["vm"]) {
            if (!projects.count(vm.at("project_id").as_int64())) continue;
            if (auto d = driver_for_vm(server_type(vm.at("server_id").as_int64()))) add(*d, vm, true);
        }
        for (const auto& [id, vr] : tables["virtual_router"]) {
            if (!projects.count(vr.at("project_id").as_int64())) continue;
            const auto* router = find("router", vr.at("router_id").as_int64());
            bool capacity = router && router->contains("capacity") && !router->at("capacity").is_null();
            add(*driver_for_virtual_router(capacity), vr, true);
        }
        for (auto svc : {"snapshot", "backup"})
            for (const auto& [id, o] : tables[svc]) {
                const auto* vm = find("vm", o.at("vm_id").as_int64());
                if (vm == nullptr || !projects.count(vm->at("project_id").as_int64())) continue;
                long long type = server_type(vm->at("server_id").as_int64());
                auto d = std::string_view(svc) == "snapshot" ? driver_for_snapshot(type) : driver_for_backup(type);
                if (d) add(*d, o, false);
            }
        for (const auto& [id, c] : tables["ceph"])
            if (projects.count(c.at("project_id").as_int64())) add("ceph", c, false);
        json::array ids;
        for (long long p : projects) ids.push_back(p);
        return reply(200, json::object{{"content", json::object{{"project_ids", std::move(ids)}, {"resource", std::move(resource)}}}});
    }

    HttpResponse run_robot_ack(std::string_view body) {
        boost::system::error_code ec;
        auto v = json::parse(body, ec);
        const json::value* ids = (!ec && v.is_object()) ? v.get_object().if_contains("project_ids") : nullptr;
        if (ids == nullptr || !ids->is_array()) return error(400, "iaas_run_robot_turn_off_101", "project_ids must be a list.");
        if (ids->get_array().empty()) return error(400, "iaas_run_robot_turn_off_102", "project_ids is empty.");
        for (const auto& id : ids->get_array()) {
            if (!id.is_int64()) return error(400, "iaas_run_robot_turn_off_103", "project_ids must be integers.");
            if (!find("project", id.get_int64())) return error(400, "iaas_run_robot_turn_off_104", "A project is not in this region.");
        }
        for (const auto& id : ids->get_array()) tables["project"][id.get_int64()]["run_robot"] = false;
        return reply(200, nullptr);
    }
};

IaasRegion::IaasRegion(json::object region) : impl_(std::make_shared<Impl>()) {
    for (auto& [key, value] : region) {
        if (key == "credentials" && value.is_object()) {
            impl_->credentials = value.get_object();
            continue;
        }
        if (!value.is_array()) continue;
        auto& table = impl_->tables[std::string(key)];
        for (auto& item : value.get_array())
            if (item.is_object()) table[id_of(item.get_object())] = item.get_object();
    }
    for (auto s : kServices) impl_->tables[std::string(s)];
}

std::shared_ptr<IaasRegion> IaasRegion::demo() {
    return std::make_shared<IaasRegion>(json::parse(demo_region_json()).as_object());
}

void IaasRegion::set_token_lifetime(std::chrono::seconds lifetime) {
    std::lock_guard lock(impl_->mutex);
    impl_->token_lifetime = lifetime;
}

void IaasRegion::expire_tokens() {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [t, issued] : impl_->tokens) impl_->expired.insert(t);
}

void IaasRegion::set_hook(Hook hook) {
    std::lock_guard lock(impl_->mutex);
    impl_->hook = std::move(hook);
}

HttpResponse IaasRegion::handle(std::string_view app, std::string_view method, std::string_view target,
                                std::string_view token, std::string_view body) {
    Hook hook;
    {
        std::lock_guard lock(impl_->mutex);
        ++impl_->requests;
        hook = impl_->hook;
    }
    if (hook)
        if (auto r = hook(method, target)) return *r;
    std::lock_guard lock(impl_->mutex);
    auto& m = *impl_;
    std::string_view path = target.substr(0, target.find('?'));
    std::map<std::string, std::string> params;
    if (auto q = target.find('?'); q != std::string_view::npos) {
        std::string_view query = target.substr(q + 1);
        while (!query.empty()) {
            auto amp = query.find('&');
            auto pair = query.substr(0, amp);
            auto eq = pair.find('=');
            params[decode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
            if (amp == std::string_view::npos) break;
            query.remove_prefix(amp + 1);
        }
    }
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);

    if (app == "membership") {
        if (path != "auth/login/" || method != "POST") return error(404, "membership_404", "Not found.");
        boost::system::error_code ec;
        auto creds = json::parse(body, ec);
        auto field = [&](const char* k) -> std::string {
            if (ec || !creds.is_object()) return {};
            const auto* v = creds.get_object().if_contains(k);
            return v && v->is_string() ? std::string(v->get_string()) : std::string();
        };
        auto want = [&](const char* k) -> std::string {
            const auto* v = m.credentials.if_contains(k);
            return v && v->is_string() ? std::string(v->get_string()) : std::string();
        };
        if (field("email") != want("email") || field("password") != want("password") || field("api_key") != want("api_key"))
            return error(400, "membership_auth_login_001", "The supplied credentials are invalid.");
        static thread_local std::mt19937_64 rng{std::random_device{}()};
        std::string t = "eyJ" + std::to_string(rng()) + "." + std::to_string(rng());
        m.tokens[t] = std::chrono::steady_clock::now();
        return reply(201, json::object{{"token", t}});
    }

    auto tok = m.tokens.find(std::string(token));
    if (token.empty() || tok == m.tokens.end()) return reply(401, json::object{{"detail", "Authentication credentials were not provided."}});
    if (m.expired.count(tok->first) ||
        (m.token_lifetime.count() > 0 && std::chrono::steady_clock::now() - tok->second >= m.token_lifetime))
        return reply(401, json::object{{"detail", "JWT token is expired. Please login again."}});

    std::vector<std::string_view> parts;
    for (std::string_view rest = path; !rest.empty();) {
        auto slash = rest.find('/');
        parts.push_back(rest.substr(0, slash));
        if (slash == std::string_view::npos) break;
        rest.remove_prefix(slash + 1);
    }
    if (parts.empty()) return error(404, "iaas_404", "Not found.");
    std::string_view service = parts[0];
    if (service == "run_robot" && parts.size() == 1) {
        if (method == "GET") return m.run_robot();
        if (method == "POST") return m.run_robot_ack(body);
        return error(405, "iaas_405", "Method not allowed.");
    }
    if (service == "detach" && parts.size() == 2 && method == "PUT") {
        auto id = to_int(parts[1]);
        auto* c = id ? const_cast<json::object*>(m.find("ceph", *id)) : nullptr;
        if (c == nullptr) return error(404, "iaas_detach_update_001", "The requested drive does not exist.");
        if (c->at("state").as_int64() != static_cast<int>(State::QUIESCED))
            return error(400, "iaas_detach_update_004", "The drive must be QUIESCED to be detached by the robot.");
        (*c)["state"] = static_cast<int>(State::RUNNING);
        (*c)["parent_id"] = nullptr;
        return reply(204, nullptr);
    }
    if (service == "vm" && parts.size() >= 3 && parts[2] == "storage") {  // vm/{id}/storage/[{pk}/]
        auto vm_id = to_int(parts[1]);
        const auto* vm = vm_id ? m.find("vm", *vm_id) : nullptr;
        if (vm == nullptr) return error(404, "iaas_storage_list_001", "The VM does not exist.");
        json::array storages = vm->contains("storages") ? vm->at("storages").as_array() : json::array{};
        if (parts.size() >= 4 && !parts[3].empty()) {
            for (const auto& s : storages)
                if (std::to_string(id_of(s.as_object())) == parts[3]) return reply(200, json::object{{"content", s}});
            return error(404, "iaas_storage_read_001", "The storage does not exist.");
        }
        return reply(200, json::object{{"content", storages},
                                       {"_metadata", json::object{{"page", 0}, {"limit", 100}, {"total_records", storages.size()}}}});
    }
    if (!m.tables.count(service)) return error(404, "iaas_404", "Unknown service.");
    if (parts.size() == 1 || (parts.size() == 2 && parts[1].empty())) {
        if (method == "GET") return m.list(service, params);
        return error(405, "iaas_405", "Method not allowed.");
    }
    auto id = to_int(parts[1]);
    if (!id) return error(404, code(service, "read", 1), "Not found.");
    if (method == "GET") {
        const auto* o = m.find(service, *id);
        if (o == nullptr) return error(404, code(service, "read", 1), "The requested object does not exist.");
        return reply(200, json::object{{"content", m.compose(service, *o)}});
    }
    if (method == "PATCH" || method == "PUT") return m.patch(service, *id, body);
    return error(405, "iaas_405", "Method not allowed.");
}

std::optional<json::object> IaasRegion::object(std::string_view service, long long id) const {
    std::lock_guard lock(impl_->mutex);
    const auto* o = impl_->find(service, id);
    if (o == nullptr) return std::nullopt;
    return impl_->compose(service, *o);
}

std::optional<State> IaasRegion::state(std::string_view service, long long id) const {
    std::lock_guard lock(impl_->mutex);
    const auto* o = impl_->find(service, id);
    if (o == nullptr || !o->contains("state") || !o->at("state").is_int64()) return std::nullopt;
    return state_from_int(o->at("state").get_int64());
}

void IaasRegion::set_state(std::string_view service, long long id, State s) {
    std::lock_guard lock(impl_->mutex);
    auto t = impl_->tables.find(service);
    if (t != impl_->tables.end() && t->second.count(id)) t->second[id]["state"] = static_cast<int>(s);
}

void IaasRegion::put(std::string_view service, json::object obj) {
    std::lock_guard lock(impl_->mutex);
    impl_->tables[std::string(service)][id_of(obj)] = std::move(obj);
}

json::object IaasRegion::snapshot() const {
    std::lock_guard lock(impl_->mutex);
    json::object out;
    out["credentials"] = impl_->credentials;
    for (const auto& [name, table] : impl_->tables) {
        if (table.empty()) continue;
        json::array items;
        for (const auto& [id, o] : table) items.push_back(o);
        out[name] = std::move(items);
    }
    return out;
}

std::size_t IaasRegion::requests() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->requests;
}

std::size_t IaasRegion::patches(std::string_view service, long long id) const {
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->patch_count.find({std::string(service), id});
    return it == impl_->patch_count.end() ? 0 : it->second;
}

// ---------------------------------------------------------------------------------------------

MemoryIaas::MemoryIaas(std::shared_ptr<IaasRegion> region) : region_(std::move(region)) {}

HttpResponse MemoryIaas::send(const HttpRequest& request) {
    std::string_view url = request.url;
    std::string_view app;
    if (url.rfind(iaas_url, 0) == 0) {
        app = "iaas";
        url.remove_prefix(iaas_url.size());
    } else if (url.rfind(membership_url, 0) == 0) {
        app = "membership";
        url.remove_prefix(membership_url.size());
    } else {
        HttpResponse r;
        r.error = "memory transport: no region answers " + std::string(url.substr(0, url.find('?')));
        r.sent = false;
        return r;
    }
    std::string token;
    for (const auto& [k, v] : request.headers)
        if (k == "X-Auth-Token") token = v;
    return region_->handle(app, request.method, url, token, request.body);
}

}  // namespace cloudcix::drivers
