// Test PKI made with the `openssl` command at test time, in a temporary directory removed at
// exit: a CA, a server certificate for localhost / 127.0.0.1 / ::1, one for another host name
// signed by the same CA, and an unrelated CA.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace ccx_test {

struct TestPki {
    std::filesystem::path dir;
    std::string ca;           // the CA that signed server_cert and other_cert
    std::string server_cert;  // CN localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
    std::string server_key;
    std::string other_cert;   // SAN DNS:other.example only
    std::string other_key;
    std::string wrong_ca;     // a CA that signed nothing here

    TestPki() {
        char tmpl[] = "/tmp/ccx-pki-XXXXXX";
        if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir = tmpl;
        auto p = [&](const char* name) { return (dir / name).string(); };
        ca = p("ca.pem");
        server_cert = p("server.pem");
        server_key = p("server.key");
        other_cert = p("other.pem");
        other_key = p("other.key");
        wrong_ca = p("wrong-ca.pem");
        const std::string d = dir.string();
        const std::string script =
            "set -e; cd '" + d + "'; "
            "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\\n' > server.ext; "
            "printf 'subjectAltName=DNS:other.example\\n' > other.ext; "
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj '/CN=ccx test CA' ; "
            "openssl req -x509 -newkey rsa:2048 -nodes -keyout wrong-ca.key -out wrong-ca.pem -days 2 -subj '/CN=ccx wrong CA' ; "
            "openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj '/CN=localhost' ; "
            "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext ; "
            "openssl req -newkey rsa:2048 -nodes -keyout other.key -out other.csr -subj '/CN=other.example' ; "
            "openssl x509 -req -in other.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out other.pem -days 2 -extfile other.ext";
        const std::string command = "( " + script + " ) > '" + d + "/openssl.log' 2>&1";
        if (std::system(command.c_str()) != 0)
            throw std::runtime_error("generating test certificates with openssl failed; see " + d + "/openssl.log");
    }
    ~TestPki() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    TestPki(const TestPki&) = delete;
    TestPki& operator=(const TestPki&) = delete;
};

// One set per test process (RSA key generation costs a second or two).
inline const TestPki& pki() {
    static TestPki instance;
    return instance;
}

}  // namespace ccx_test
