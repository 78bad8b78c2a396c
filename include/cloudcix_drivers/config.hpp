// Settings the drivers need (spec §3.5), from the environment or set by the embedder.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace cloudcix::drivers {

struct IaasSettings {
    std::string iaas_url;        // CLOUDCIX_IAAS_URL, e.g. https://iaas.cop.example.com/ (may carry a path)
    std::string membership_url;  // CLOUDCIX_MEMBERSHIP_URL
    std::string username;        // CLOUDCIX_API_USERNAME
    std::string password;        // CLOUDCIX_API_PASSWORD (secret)
    std::string api_key;         // CLOUDCIX_API_KEY (secret)
    std::chrono::minutes token_max_age{40};
    std::chrono::milliseconds request_timeout{30000};
};

struct PodnetSettings {
    std::string ipv6_subnet = "2a02:db8:9::/48";  // management /48; nodes are <prefix>10:0:2 and :3
    bool a_enabled = true;                         // PodNet A is the enabled node
    std::string namespace_pattern = "P{project_id}";
    std::string private_interface = "eth1";
    std::string public_interface = "eth0";
    std::string cpe;  // public IPsec address (PODNET_CPE)
};

struct KvmSettings {
    std::string images_path = "/var/lib/libvirt/images/";
    std::string cloud_images_path = "/var/lib/libvirt/ISOs/KVM/IMGs/";
    std::string bridge_interface = "cloud0";
};

// Ceph RBD drives (spec §4.10; the sources name no cluster, pool or admin node [design]).
struct CephSettings {
    std::string admin_host = "2a02:db8:9::10:0:30";  // node with the admin keyring; rbd runs there
    std::string cluster = "ceph";                    // rbd --cluster (selects /etc/ceph/<cluster>.conf)
    std::string pool = "cloudcix";                   // images are <pool>/<project_id>_<resource_id>
    // What a KVM domain needs to open an attached image (the VM update verbs attach drives).
    std::vector<std::string> monitors{"2a02:db8:9::10:0:31"};  // Ceph monitors, port 6789
    std::string auth_user = "libvirt";                        // cephx user of the hypervisors
    std::string secret_uuid;                                  // libvirt secret with its key; empty: no auth
};

// Backup repositories by `backup.repository` number (1 = primary, 2 = secondary), spec §3.5.
struct BackupSettings {
    std::vector<std::string> kvm_repositories{"/mnt/backup-p/", "/mnt/backup-s/"};  // mounted on KVM hosts
    std::vector<std::string> hyperv_repositories{"P:\\", "S:\\"};                  // drives on Hyper-V hosts
};

struct Config {
    IaasSettings iaas;
    PodnetSettings podnet;
    KvmSettings kvm;
    CephSettings ceph;
    BackupSettings backup;
    std::string organization_url = "example.com";  // ORGANIZATION_URL: e-mail subjects
    std::string region_name = "region";            // REGION_NAME
    std::string compute_ui_url;                    // COMPUTE_UI_URL
    std::vector<std::string> send_to_fail;         // SEND_TO_FAIL (NOC)
    std::chrono::milliseconds lock_timeout{30000};  // how long run() waits for its locks
    std::chrono::milliseconds lock_retry{15000};    // retry_after when the locks stay busy
    std::chrono::milliseconds poll_interval{500};   // host polls (virsh domstate ...)
    std::chrono::seconds poll_timeout{300};

    // Reads CLOUDCIX_* variables over the defaults; unknown variables are ignored.
    static Config from_environment();
};

}  // namespace cloudcix::drivers
