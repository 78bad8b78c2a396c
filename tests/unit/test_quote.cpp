#include <array>
#include <cstdio>
#include <string>

#include <boost/test/unit_test.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include "cloudcix_drivers/quote.hpp"

using namespace cloudcix::drivers;

namespace {
// Runs `cmd` with /bin/sh -c (no other shell in between) and returns its stdout.
std::string sh(const std::string& cmd, int* status = nullptr) {
    int out[2];
    BOOST_REQUIRE(pipe(out) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(out[1]);
    std::string text;
    std::array<char, 4096> buf;
    ssize_t n;
    while ((n = read(out[0], buf.data(), buf.size())) > 0) text.append(buf.data(), static_cast<std::size_t>(n));
    close(out[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    if (status) *status = st;
    return text;
}

const std::vector<std::string> kHostile{
    "plain",
    "it's",
    "\"double\"",
    "$(touch /tmp/ccx-quote-pwned)",
    "`touch /tmp/ccx-quote-pwned`",
    "a; touch /tmp/ccx-quote-pwned",
    "line\nbreak; touch /tmp/ccx-quote-pwned",
    "back\\slash",
    "$HOME ${HOME} $((1+1))",
    "*",
    "-n",
    "&& || | > < ( ) { } !",
    "'; touch /tmp/ccx-quote-pwned; '",
    "ünïcødé ‘curly’ “quotes”",
    std::string("tab\there"),
    "",
};
}  // namespace

BOOST_AUTO_TEST_SUITE(quoting)

BOOST_AUTO_TEST_CASE(hostile_words_reach_the_program_byte_for_byte_and_nothing_else_runs) {
    std::remove("/tmp/ccx-quote-pwned");
    for (const auto& word : kHostile) {
        std::string cmd = command(Shell::posix, {lit("printf"), "%s", word});
        int status = 0;
        std::string out = sh(cmd, &status);
        BOOST_TEST_CONTEXT("word: " << word << " command: " << cmd) {
            BOOST_TEST(WIFEXITED(status));
            BOOST_TEST(out == word);
        }
    }
    BOOST_TEST(access("/tmp/ccx-quote-pwned", F_OK) != 0);
}

BOOST_AUTO_TEST_CASE(joined_commands_keep_each_word_inert) {
    std::string cmd = join(Shell::posix, "&&", {command(Shell::posix, {lit("printf"), "%s", "a;b"}),
                                                command(Shell::posix, {lit("printf"), "%s", "$(c)"})});
    BOOST_TEST(sh(cmd) == "a;b$(c)");
    BOOST_CHECK_THROW(join(Shell::posix, ">", {"a", "b"}), BadArgument);
    BOOST_CHECK_THROW(join(Shell::powershell, "&&", {"a", "b"}), BadArgument);
}

BOOST_AUTO_TEST_CASE(safe_words_stay_bare_and_others_are_single_quoted) {
    BOOST_TEST(command(Shell::posix, {lit("virsh"), lit("dominfo"), "812_1501"}) == "virsh dominfo 812_1501");
    BOOST_TEST(command(Shell::posix, {lit("echo"), "a b"}) == "echo 'a b'");
    BOOST_TEST(quote(Shell::posix, "it's") == "'it'\\''s'");
    BOOST_TEST(quote(Shell::powershell, "it's") == "'it''s'");
    BOOST_TEST(quote(Shell::powershell, "\xe2\x80\x98x") == "'\xe2\x80\x98\xe2\x80\x98x'");
}

BOOST_AUTO_TEST_CASE(literals_refuse_shell_metacharacters) {
    BOOST_CHECK_THROW(lit("a;b"), BadArgument);
    BOOST_CHECK_THROW(lit("$(x)"), BadArgument);
    BOOST_CHECK_THROW(lit("a b"), BadArgument);
    BOOST_CHECK_THROW(lit(""), BadArgument);
    BOOST_CHECK_NO_THROW(lit("--output=json"));
}

BOOST_AUTO_TEST_CASE(validators_accept_good_values_and_reject_bad_ones_without_echoing_them) {
    BOOST_CHECK_NO_THROW(valid_name("812_1501"));
    BOOST_CHECK_THROW(valid_name("a;b"), BadArgument);
    BOOST_CHECK_THROW(valid_name(".."), BadArgument);
    BOOST_CHECK_NO_THROW(valid_vlan(4094));
    BOOST_CHECK_THROW(valid_vlan(0), BadArgument);
    BOOST_CHECK_THROW(valid_vlan(4095), BadArgument);
    BOOST_CHECK_NO_THROW(valid_path("/var/lib/libvirt/images/a.img"));
    BOOST_CHECK_THROW(valid_path("relative/path"), BadArgument);
    BOOST_CHECK_THROW(valid_path("/a/../etc/shadow"), BadArgument);
    BOOST_CHECK_NO_THROW(valid_cidr("10.0.0.1/24"));
    BOOST_CHECK_NO_THROW(valid_cidr("2a02:db8::/48"));
    BOOST_CHECK_THROW(valid_cidr("10.0.0.1/33"), BadArgument);
    BOOST_CHECK_THROW(valid_cidr("10.0.0.1"), BadArgument);
    BOOST_CHECK_NO_THROW(valid_address("::1"));
    BOOST_CHECK_THROW(valid_address("999.1.1.1"), BadArgument);
    BOOST_CHECK_NO_THROW(valid_mac("14:00:04:00:ab:e1"));
    BOOST_CHECK_THROW(valid_mac("14:00:04:00:ab"), BadArgument);
    try {
        valid_name("secret-$(rm -rf /)");
        BOOST_FAIL("accepted a hostile name");
    } catch (const BadArgument& e) {
        BOOST_TEST(std::string(e.what()).find("rm -rf") == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()
