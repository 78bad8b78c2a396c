#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include "support/fixture.hpp"

using namespace ccx_test;
namespace json = boost::json;

namespace {
// A transport that counts requests and can rewrite URLs (to test base URLs with a path prefix).
class Prefixed : public Transport {
public:
    explicit Prefixed(MemoryIaas& inner) : inner_(inner) {}
    HttpResponse send(const HttpRequest& r) override {
        ++requests;
        last_headers = r.headers;
        HttpRequest copy = r;
        for (auto [from, to] : {std::pair<std::string, std::string>{"https://api.example.com/region4/iaas/", "memory://iaas/"},
                                {"https://api.example.com/region4/membership/", "memory://membership/"}})
            if (copy.url.rfind(from, 0) == 0) copy.url = to + copy.url.substr(from.size());
        urls.push_back(r.url);
        return inner_.send(copy);
    }
    MemoryIaas& inner_;
    int requests = 0;
    Headers last_headers;
    std::vector<std::string> urls;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(iaas_client)

BOOST_AUTO_TEST_CASE(a_read_logs_in_once_and_reuses_the_token) {
    Demo d;
    BOOST_TEST(d.iaas.read("vm", 1501).ok());
    BOOST_TEST(d.iaas.read("vm", 1502).ok());
    BOOST_TEST(d.iaas.logins() == 1);
    auto r = d.iaas.read("vm", 1501);
    BOOST_TEST(r.content.at("name").as_string() == "web01");
    BOOST_TEST(r.content.at("project").at("virtual_router_id").as_int64() == 77);  // composed like the API
}

BOOST_AUTO_TEST_CASE(the_token_is_renewed_after_40_minutes) {
    Demo d;
    BOOST_TEST(d.iaas.read("vm", 1501).ok());
    d.clock.advance(std::chrono::minutes(39));
    BOOST_TEST(d.iaas.read("vm", 1501).ok());
    BOOST_TEST(d.iaas.logins() == 1);
    d.clock.advance(std::chrono::minutes(2));
    BOOST_TEST(d.iaas.read("vm", 1501).ok());
    BOOST_TEST(d.iaas.logins() == 2);
}

BOOST_AUTO_TEST_CASE(an_expired_token_is_renewed_once_and_the_request_retried) {
    Demo d;
    BOOST_TEST(d.iaas.read("vm", 1501).ok());
    d.region->expire_tokens();
    d.region->set_token_lifetime(std::chrono::seconds(3600));
    auto r = d.iaas.read("vm", 1501);
    BOOST_TEST(r.ok(), r.message);
    BOOST_TEST(d.iaas.logins() == 2);
}

BOOST_AUTO_TEST_CASE(a_401_that_persists_after_one_renewal_is_an_error_not_a_loop) {
    Demo d;
    int calls = 0;
    d.region->set_hook([&](std::string_view, std::string_view path) -> std::optional<HttpResponse> {
        if (path.rfind("auth/login/", 0) == 0) return std::nullopt;
        ++calls;
        return HttpResponse{401, {}, R"({"detail":"JWT token is expired. Please login again."})", {}, true};
    });
    auto r = d.iaas.read("vm", 1501);
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.status == 401);
    BOOST_TEST(calls == 2);
    BOOST_TEST(r.failure == ErrorNumber::login_failed);
}

BOOST_AUTO_TEST_CASE(a_failed_login_is_a_clear_error_without_the_password) {
    Demo d;
    IaasSettings bad = d.config.iaas;
    bad.password = "wrong-password-123";
    IaasClient client(d.transport, d.clock, bad);
    auto r = client.read("vm", 1501);
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.failure == ErrorNumber::login_failed);
    BOOST_TEST(r.message.find("auth/login/") != std::string::npos, r.message);
    BOOST_TEST(r.message.find("wrong-password-123") == std::string::npos);
    BOOST_TEST(client.logins() == 1);  // a refused login is reported, never retried in a loop
}

BOOST_AUTO_TEST_CASE(base_urls_may_carry_a_path_prefix) {
    Demo d;
    Prefixed t(d.transport);
    IaasSettings s = d.config.iaas;
    s.iaas_url = "https://api.example.com/region4/iaas";  // no trailing slash: added
    s.membership_url = "https://api.example.com/region4/membership/";
    IaasClient client(t, d.clock, s);
    BOOST_TEST(client.read("vm", 1501).ok());
    BOOST_TEST(t.urls.front() == "https://api.example.com/region4/membership/auth/login/");
    BOOST_TEST(t.urls.back() == "https://api.example.com/region4/iaas/vm/1501/");
    bool has_token = false;
    for (const auto& [k, v] : t.last_headers) has_token = has_token || (k == "X-Auth-Token" && !v.empty());
    BOOST_TEST(has_token);
}

BOOST_AUTO_TEST_CASE(a_list_follows_pages_and_filters) {
    Demo d;
    for (int i = 0; i < 230; ++i)
        d.region->put("ip_address", json::object{{"id", 90000 + i}, {"address", "10.9.0." + std::to_string(i % 250)},
                                                 {"subnet_id", i % 2 ? 1 : 2}, {"public_ip_id", nullptr}});
    Query q;
    q.where("subnet_id", "1").limit = 50;
    auto all = d.iaas.list("ip_address", q);
    BOOST_TEST(all.ok(), all.message);
    BOOST_TEST(all.items.size() == 115u);
    auto in = d.iaas.list("vm", Query().where("id__in", in_list({1501, 1503})));
    BOOST_TEST(in.items.size() == 2u);
    auto excl = d.iaas.list("vm", Query().where("project_id", "812").except("state", "9"));
    std::set<long long> ids;
    for (const auto& vm : excl.items) {
        BOOST_TEST(vm.at("project_id").as_int64() == 812);
        BOOST_TEST(vm.at("state").as_int64() != 9);
        ids.insert(vm.at("id").as_int64());
    }
    BOOST_TEST((ids.count(1501) == 1 && ids.count(1503) == 1 && ids.count(1502) == 0));
    auto kvm = d.iaas.list("vm", Query().where("server__type_id", "2"));
    auto not_kvm = d.iaas.list("vm", Query().except("server__type_id", "2"));
    auto every = d.iaas.list("vm", Query());
    BOOST_TEST(kvm.items.size() >= 4u);
    BOOST_TEST(kvm.items.size() + not_kvm.items.size() == every.items.size());
}

BOOST_AUTO_TEST_CASE(a_missing_object_is_404_not_found) {
    Demo d;
    auto r = d.iaas.read("vm", 999999);
    BOOST_TEST(r.status == 404);
    BOOST_TEST(r.failure == ErrorNumber::not_found);
    BOOST_TEST(r.message.find("GET memory://iaas/vm/999999/") != std::string::npos, r.message);
}

BOOST_AUTO_TEST_CASE(a_refused_state_change_carries_the_api_error_code) {
    Demo d;
    auto r = d.iaas.update("vm", 1503, json::object{{"state", 1}});  // RUNNING -> REQUESTED
    BOOST_TEST(r.status == 400);
    BOOST_TEST(r.failure == ErrorNumber::api_error);
    BOOST_TEST(r.message.find("iaas_vm_update_106") != std::string::npos, r.message);
    auto ok = d.iaas.update("vm", 1501, json::object{{"state", 2}});
    BOOST_TEST(ok.ok(), ok.message);
    BOOST_TEST(d.state("vm", 1501) == State::BUILDING);
}

BOOST_AUTO_TEST_CASE(a_snapshot_or_backup_patch_re_flags_the_vms_project) {
    Demo d;
    json::object project = *d.region->object("project", 812);
    project["run_robot"] = false;
    d.region->put("project", project);
    BOOST_REQUIRE(d.iaas.update("snapshot", 5001, json::object{{"state", 2}}).ok());
    BOOST_TEST(d.region->object("project", 812)->at("run_robot") == json::value(true));
    project["run_robot"] = false;
    d.region->put("project", project);
    BOOST_REQUIRE(d.iaas.update("backup", 6001, json::object{{"state", 2}}).ok());
    BOOST_TEST(d.region->object("project", 812)->at("run_robot") == json::value(true));
}

BOOST_AUTO_TEST_CASE(scrubbing_a_snapshot_with_remove_subtree_takes_its_descendants_along) {
    Demo d;
    auto snap = [&](long long id, long long parent, int state) {
        d.region->put("snapshot", json::object{{"id", id}, {"name", "s" + std::to_string(id)}, {"vm_id", 1701}, {"state", state},
                                               {"active", false}, {"parent_id", parent}, {"remove_subtree", false}});
    };
    snap(5101, 5003, 4);
    snap(5102, 5101, 6);
    snap(5103, 5001, 4);  // another branch: untouched
    BOOST_REQUIRE(d.iaas.update("snapshot", 5003, json::object{{"state", 17}}).ok());
    BOOST_TEST(d.state("snapshot", 5101) == State::SCRUBBING);
    BOOST_TEST(d.state("snapshot", 5102) == State::SCRUBBING);
    BOOST_TEST(d.state("snapshot", 5103) == State::RUNNING);
    BOOST_REQUIRE(d.iaas.update("snapshot", 5003, json::object{{"state", 99}}).ok());
    BOOST_TEST(d.state("snapshot", 5102) == State::CLOSED);
}

BOOST_AUTO_TEST_CASE(closing_a_snapshot_hands_its_children_and_the_active_flag_to_its_parent) {
    Demo d;
    d.region->put("snapshot", json::object{{"id", 5201}, {"name", "mid"}, {"vm_id", 1701}, {"state", 17}, {"active", true},
                                           {"parent_id", 5001}, {"remove_subtree", false}});
    d.region->put("snapshot", json::object{{"id", 5202}, {"name", "leaf"}, {"vm_id", 1701}, {"state", 4}, {"active", false},
                                           {"parent_id", 5201}, {"remove_subtree", false}});
    BOOST_REQUIRE(d.iaas.update("snapshot", 5201, json::object{{"state", 99}}).ok());
    auto leaf = *d.region->object("snapshot", 5202);
    BOOST_TEST(leaf.at("parent_id").as_int64() == 5001);
    BOOST_TEST(leaf.at("state").as_int64() == 4);
    BOOST_TEST(d.region->object("snapshot", 5001)->at("active") == json::value(true));
    BOOST_TEST(d.region->object("snapshot", 5201)->at("active") == json::value(false));
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_json_is_a_malformed_response) {
    Demo d;
    d.region->set_hook([](std::string_view, std::string_view path) -> std::optional<HttpResponse> {
        if (path.rfind("vm/", 0) == 0) return HttpResponse{200, {}, "<html>gateway</html>", {}, true};
        return std::nullopt;
    });
    auto r = d.iaas.read("vm", 1501);
    BOOST_TEST(r.failure == ErrorNumber::malformed_response);
    BOOST_TEST(!r.ok());
}

BOOST_AUTO_TEST_CASE(a_server_error_or_no_response_means_the_api_is_unavailable) {
    Demo d;
    d.region->set_hook([](std::string_view, std::string_view path) -> std::optional<HttpResponse> {
        if (path.rfind("vm/", 0) == 0) return HttpResponse{503, {}, "", {}, true};
        return std::nullopt;
    });
    BOOST_TEST((d.iaas.read("vm", 1501).failure == ErrorNumber::api_unavailable));
    IaasSettings s = d.config.iaas;
    s.iaas_url = "memory://elsewhere/";
    IaasClient client(d.transport, d.clock, s);
    auto r = client.read("vm", 1501);
    BOOST_TEST((r.failure == ErrorNumber::api_unavailable));
    BOOST_TEST(r.status == 0);
}

BOOST_AUTO_TEST_SUITE_END()
