# Bad inputs fail at plan, each on the variable or output at fault.

variables {
  voters = [
    { id = "c1", address = "10.0.1.10" },
    { id = "c2", address = "10.0.2.10" },
    { id = "c3", address = "10.0.3.10" },
  ]
  admin_token = "admin-token-0123456789abcdef"
  edge_tokens = { "edge-a" = "edge-token-0123456789abcdef", "eu-west-1-*" = "edge-group-token-0123456789" }
  raft_tls    = { cert_path = "/etc/veltrix/tls/raft.crt", key_path = "/etc/veltrix/tls/raft.key", ca_path = "/etc/veltrix/tls/raft-ca.crt" }
}

run "relative_raft_certificate" {
  command = plan
  variables { raft_tls = { cert_path = "raft.crt", key_path = "/etc/veltrix/tls/raft.key", ca_path = "/etc/veltrix/tls/raft-ca.crt" } }
  expect_failures = [var.raft_tls]
}

run "raft_peer_name_not_a_dns_name" {
  command = plan
  variables { raft_tls = { cert_path = "/etc/veltrix/tls/raft.crt", key_path = "/etc/veltrix/tls/raft.key", ca_path = "/etc/veltrix/tls/raft-ca.crt", peer_name = "Raft Peers" } }
  expect_failures = [var.raft_tls]
}

run "four_voters" {
  command = plan
  variables {
    voters = [
      { id = "c1", address = "10.0.1.10" }, { id = "c2", address = "10.0.2.10" },
      { id = "c3", address = "10.0.3.10" }, { id = "c4", address = "10.0.3.11" },
    ]
  }
  expect_failures = [var.voters]
}

run "one_voter" {
  command = plan
  variables { voters = [{ id = "c1", address = "10.0.1.10" }] }
  expect_failures = [var.voters]
}

run "duplicate_ids" {
  command = plan
  variables {
    voters = [{ id = "c1", address = "10.0.1.10" }, { id = "c1", address = "10.0.2.10" }, { id = "c3", address = "10.0.3.10" }]
  }
  expect_failures = [var.voters]
}

run "shared_address" {
  command = plan
  variables {
    voters = [{ id = "c1", address = "10.0.1.10" }, { id = "c2", address = "10.0.1.10" }, { id = "c3", address = "10.0.3.10" }]
  }
  expect_failures = [var.voters]
}

run "address_with_port" {
  command = plan
  variables {
    voters = [{ id = "c1", address = "10.0.1.10:7000" }, { id = "c2", address = "10.0.2.10" }, { id = "c3", address = "10.0.3.10" }]
  }
  expect_failures = [var.voters]
}

run "bad_ipv4" {
  command = plan
  variables {
    voters = [{ id = "c1", address = "10.0.1.300" }, { id = "c2", address = "10.0.2.10" }, { id = "c3", address = "10.0.3.10" }]
  }
  expect_failures = [var.voters]
}

run "two_joining_at_once" {
  command = plan
  variables {
    voters = [{ id = "c1", address = "10.0.1.10" }, { id = "c2", address = "10.0.2.10", join = true }, { id = "c3", address = "10.0.3.10", join = true }]
  }
  expect_failures = [var.voters]
}

run "privileged_api_port" {
  command = plan
  variables { api_port = 80 }
  expect_failures = [var.api_port]
}

run "weak_admin_token" {
  command = plan
  variables { admin_token = "admin" }
  expect_failures = [var.admin_token]
}

run "unknown_log_store" {
  command = plan
  variables { log_store = "rocksdb" }
  expect_failures = [var.log_store]
}

run "timeout_without_unit" {
  command = plan
  variables { raft_timeouts = { election = "300" } }
  expect_failures = [var.raft_timeouts]
}

run "signing_key_not_pem" {
  command = plan
  variables { signing_key_pem = "not a key" }
  expect_failures = [var.signing_key_pem]
}

run "tls_without_key" {
  command = plan
  variables { tls = { cert_path = "/etc/veltrix/tls/api.crt", key_path = "" } }
  expect_failures = [var.tls]
}

run "data_root_relative" {
  command = plan
  variables { data_root = "data" }
  expect_failures = [var.data_root]
}

run "data_volume_not_a_device" {
  command = plan
  variables { data_volume = { device = "nvme1n1" } }
  expect_failures = [var.data_volume]
}

run "voter_id_upper_case" {
  command = plan
  variables {
    voters = [{ id = "C1", address = "10.0.1.10" }, { id = "c2", address = "10.0.2.10" }, { id = "c3", address = "10.0.3.10" }]
  }
  expect_failures = [var.voters]
}

run "data_device_not_a_device" {
  command = plan
  variables {
    voters = [{ id = "c1", address = "10.0.1.10", data_device = "nvme1n1" }, { id = "c2", address = "10.0.2.10" }, { id = "c3", address = "10.0.3.10" }]
  }
  expect_failures = [var.voters]
}

run "tls_relative_path" {
  command = plan
  variables { tls = { cert_path = "tls/api.crt", key_path = "/etc/veltrix/tls/api.key" } }
  expect_failures = [var.tls]
}

run "data_volume_unknown_fs" {
  command = plan
  variables { data_volume = { device = "/dev/nvme1n1", fs_type = "btrfs" } }
  expect_failures = [var.data_volume]
}

run "privileged_raft_port" {
  command = plan
  variables { raft_port = 1023 }
  expect_failures = [var.raft_port]
}

run "raft_port_out_of_range" {
  command = plan
  variables { raft_port = 65536 }
  expect_failures = [var.raft_port]
}

run "raft_port_fractional" {
  command = plan
  variables { raft_port = 7000.5 }
  expect_failures = [var.raft_port]
}

run "short_edge_token" {
  command = plan
  variables { edge_tokens = { "edge-a" = "edge-token-0123" } }
  expect_failures = [var.edge_tokens]
}

run "edge_token_with_space" {
  command = plan
  variables { edge_tokens = { "edge-a" = "edge token 0123456789abcdef" } }
  expect_failures = [var.edge_tokens]
}

run "no_edge_tokens" {
  command = plan
  variables { edge_tokens = {} }
  expect_failures = [var.edge_tokens]
}

run "edge_id_with_space" {
  command = plan
  variables { edge_tokens = { "edge a" = "edge-token-0123456789abcdef" } }
  expect_failures = [var.edge_tokens]
}

run "two_edges_one_token" {
  command = plan
  variables { edge_tokens = { "edge-a" = "edge-token-0123456789abcdef", "edge-b" = "edge-token-0123456789abcdef" } }
  expect_failures = [var.edge_tokens]
}

run "edge_token_is_admin_token" {
  command = plan
  variables { edge_tokens = { "edge-a" = "admin-token-0123456789abcdef" } }
  expect_failures = [output.nodes]
}

run "signing_key_path_relative" {
  command = plan
  variables { signing_key_path = "token.key" }
  expect_failures = [var.signing_key_path]
}

run "snapshot_threshold_too_small" {
  command = plan
  variables { snapshot_threshold = 1023 }
  expect_failures = [var.snapshot_threshold]
}

run "snapshot_threshold_fractional" {
  command = plan
  variables { snapshot_threshold = 2048.5 }
  expect_failures = [var.snapshot_threshold]
}

run "unknown_log_level" {
  command = plan
  variables { log_level = "trace" }
  expect_failures = [var.log_level]
}

run "binary_path_relative" {
  command = plan
  variables { binary_path = "veltrix-coordinator" }
  expect_failures = [var.binary_path]
}

run "release_over_http" {
  command = plan
  variables { release = { url = "http://releases.example.com/veltrix-coordinator", sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" } }
  expect_failures = [var.release]
}

run "release_without_checksum" {
  command = plan
  variables { release = { url = "https://releases.example.com/veltrix-coordinator", sha256 = "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF" } }
  expect_failures = [var.release]
}

run "config_dir_with_space" {
  command = plan
  variables { config_dir = "/etc/veltrix conf" }
  expect_failures = [var.config_dir]
}

run "service_user_starts_with_digit" {
  command = plan
  variables { service_user = "1veltrix" }
  expect_failures = [var.service_user]
}

run "service_user_too_long" {
  command = plan
  variables { service_user = "v${join("", [for i in range(31) : "x"])}" }
  expect_failures = [var.service_user]
}

run "stop_timeout_too_short" {
  command = plan
  variables { stop_timeout_seconds = 9 }
  expect_failures = [var.stop_timeout_seconds]
}

run "stop_timeout_too_long" {
  command = plan
  variables { stop_timeout_seconds = 601 }
  expect_failures = [var.stop_timeout_seconds]
}

# The edges of each range are accepted and reach the rendered files.

run "lower_boundaries_accepted" {
  command = plan
  variables {
    raft_port            = 1024
    snapshot_threshold   = 1024
    edge_tokens          = { "e" = "edge-token-01234" }
    log_level            = "warn"
    stop_timeout_seconds = 10
    signing_key_path     = "/etc/veltrix/keys/token.key"
    binary_path          = "/opt/veltrix/bin/veltrix-coordinator"
    config_dir           = "/etc/veltrix-coordinator"
    service_user         = "_${join("", [for i in range(30) : "v"])}"
    release              = { url = "https://releases.example.com/veltrix-coordinator", sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }
  }

  assert {
    condition     = output.nodes.c1.env.VELTRIX_RAFT_ADDR == "10.0.1.10:1024" && output.nodes.c1.env.VELTRIX_SNAPSHOT_THRESHOLD == "1024" && output.nodes.c1.env.VELTRIX_LOG_LEVEL == "warn"
    error_message = "raft_port 1024, snapshot_threshold 1024 and log level warn must be accepted and reach the environment."
  }
  assert {
    condition     = output.nodes.c1.files["/etc/veltrix-coordinator/edge-credentials"].content == "e ${sha256("edge-token-01234")}\n"
    error_message = "A 16-character edge token and a 1-character edge id must be accepted."
  }
  assert {
    condition     = output.signing_key_path == "/etc/veltrix/keys/token.key" && output.nodes.c1.paths.env_file == "/etc/veltrix-coordinator/coordinator-c1.env"
    error_message = "signing_key_path and config_dir must reach the outputs."
  }
  assert {
    condition = alltrue([for line in [
      "TimeoutStopSec=10", "ExecStart=/opt/veltrix/bin/veltrix-coordinator", "User=_${join("", [for i in range(30) : "v"])}",
    ] : strcontains(output.nodes.c1.systemd_unit, "\n${line}\n")])
    error_message = "A 10 s stop timeout, the binary path and a 31-character user must reach the unit."
  }
  assert {
    condition     = strcontains(output.user_data.c1, "https://releases.example.com/veltrix-coordinator")
    error_message = "A release with an https URL and a lower-case SHA-256 must be installed by cloud-init."
  }
}

run "upper_boundaries_accepted" {
  command = plan
  variables {
    raft_port            = 65535
    edge_tokens          = { (join("", [for i in range(64) : "e"])) = join("", [for i in range(512) : "e"]) }
    log_level            = "debug"
    stop_timeout_seconds = 600
  }

  assert {
    condition     = output.ports.raft == 65535 && output.peers == "c1=10.0.1.10:65535,c2=10.0.2.10:65535,c3=10.0.3.10:65535"
    error_message = "raft_port 65535 must be accepted."
  }
  assert {
    condition     = strcontains(output.nodes.c2.files["/etc/veltrix/edge-credentials"].content, "${join("", [for i in range(64) : "e"])} ${sha256(join("", [for i in range(512) : "e"]))}\n") && output.nodes.c2.env.VELTRIX_LOG_LEVEL == "debug"
    error_message = "A 512-character edge token, a 64-character edge id and log level debug must be accepted."
  }
  assert {
    condition     = strcontains(output.nodes.c2.systemd_unit, "\nTimeoutStopSec=600\n")
    error_message = "A 600 s stop timeout must be accepted."
  }
}
