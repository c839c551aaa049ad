# What each coordinator host gets, asserted on the plan (no resources).

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

run "three_voters_bootstrap" {
  command = plan

  assert {
    condition     = output.peers == "c1=10.0.1.10:7000,c2=10.0.2.10:7000,c3=10.0.3.10:7000" && output.quorum == 2
    error_message = "Three voters bootstrap together with a quorum of two."
  }
  assert {
    condition     = output.api_urls == ["http://10.0.1.10:8080", "http://10.0.2.10:8080", "http://10.0.3.10:8080"]
    error_message = "Edges must get every voter's API URL."
  }
  assert {
    condition = output.nodes.c2.env == {
      VELTRIX_ID            = "c2"
      VELTRIX_RAFT_ADDR     = "10.0.2.10:7000"
      VELTRIX_API_ADDR      = "0.0.0.0:8080"
      VELTRIX_ADVERTISE_API = "10.0.2.10:8080"
      VELTRIX_DATA_DIR      = "/var/lib/veltrix/c2"
      VELTRIX_SIGNING_KEY   = "/etc/veltrix/token.key"
      VELTRIX_LOG_LEVEL     = "info"
      VELTRIX_BOOTSTRAP     = "true"
      VELTRIX_PEERS         = "c1=10.0.1.10:7000,c2=10.0.2.10:7000,c3=10.0.3.10:7000"
      VELTRIX_RAFT_TLS_CERT = "/etc/veltrix/tls/raft.crt"
      VELTRIX_RAFT_TLS_KEY  = "/etc/veltrix/tls/raft.key"
      VELTRIX_RAFT_TLS_CA   = "/etc/veltrix/tls/raft-ca.crt"
      # Per-edge credentials, re-read on SIGHUP and on change.
      VELTRIX_EDGE_CREDENTIALS = "/etc/veltrix/edge-credentials"
    }
    error_message = "A bootstrap voter's environment is wrong."
  }
  assert {
    condition = (
      contains(output.nodes.c1.flags, "-raft-tls-cert=/etc/veltrix/tls/raft.crt") && contains(output.nodes.c1.flags, "-raft-tls-key=/etc/veltrix/tls/raft.key") &&
      contains(output.nodes.c1.flags, "-raft-tls-ca=/etc/veltrix/tls/raft-ca.crt") &&
      alltrue([for id, n in output.nodes : !strcontains(lower(n.env_file), "insecure") && !strcontains(lower(join(" ", n.flags)), "insecure")])
    )
    error_message = "Every voter runs raft over mutual TLS, never -insecure-raft."
  }
  assert {
    condition     = contains(output.nodes.c1.flags, "-bootstrap") && contains(output.nodes.c1.flags, "-raft-addr=10.0.1.10:7000") && contains(output.nodes.c1.flags, "-advertise-api=10.0.1.10:8080")
    error_message = "Flags must mirror the environment."
  }
  assert {
    condition     = output.secrets_env_file == "VELTRIX_ADMIN_TOKEN=admin-token-0123456789abcdef\n" && !strcontains(output.nodes.c1.env_file, "token-0123")
    error_message = "Tokens belong in the secrets file only."
  }
  assert {
    condition     = output.nodes.c1.files["/etc/veltrix/edge-credentials"].content == "edge-a ${sha256("edge-token-0123456789abcdef")}\neu-west-1-* ${sha256("edge-group-token-0123456789")}\n" && !strcontains(output.nodes.c1.files["/etc/veltrix/edge-credentials"].content, "token-0123")
    error_message = "Every voter gets the edges' credentials as SHA-256 hashes, one line an edge, and no token."
  }
  assert {
    condition = alltrue([for line in [
      "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "Restart=on-failure", "CapabilityBoundingSet=",
      "ReadWritePaths=/var/lib/veltrix/c3", "RequiresMountsFor=/var/lib/veltrix/c3", "EnvironmentFile=/etc/veltrix/coordinator-c3.env",
      "ExecStart=/usr/local/bin/veltrix-coordinator", "EnvironmentFile=/etc/veltrix/coordinator-secrets.env",
    ] : strcontains(output.nodes.c3.systemd_unit, "\n${line}\n")])
    error_message = "The coordinator unit must be hardened and write only its data directory."
  }
  assert {
    condition     = output.health_check == { protocol = "HTTP", port = 8080, path = "/readyz", matcher = "200" } && output.ports == { raft = 7000, api = 8080 }
    error_message = "Health checks use /readyz on the API port."
  }
  assert {
    condition = (
      [for f in yamldecode(output.user_data.c1).write_files : f.path] == ["/etc/systemd/system/veltrix-coordinator.service", "/etc/veltrix/coordinator-c1.env", "/etc/veltrix/coordinator-secrets.env", "/etc/veltrix/edge-credentials"] &&
      alltrue([for f in yamldecode(output.user_data.c1).write_files : base64decode(f.content) == merge(output.nodes.c1.files, output.secret_files)[f.path].content])
    )
    error_message = "cloud-init must write the unit, both environment files and the edge credentials, exactly as rendered."
  }
  assert {
    condition = yamldecode(output.user_data.c1).runcmd == [
      ["install", "-d", "-o", "veltrix", "-g", "veltrix", "-m", "0700", "/var/lib/veltrix/c1"],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "veltrix-coordinator.service"],
    ]
    error_message = "Without a data volume, cloud-init only creates the data directory and starts the service."
  }
}

run "five_voters_tls_volume_key_and_a_joiner" {
  command = plan

  variables {
    voters = [
      { id = "c1", address = "10.0.1.10" },
      { id = "c2", address = "10.0.2.10" },
      { id = "c3", address = "10.0.3.10" },
      { id = "c4", address = "coord-4.internal.example.com" },
      { id = "c6", address = "10.0.3.20", join = true, data_device = "/dev/disk/by-id/nvme-vol6" },
    ]
    tls             = { cert_path = "/etc/veltrix/tls/api.crt", key_path = "/etc/veltrix/tls/api.key", ca_path = "/etc/veltrix/tls/ca.crt" }
    data_volume     = { device = "/dev/nvme1n1" }
    signing_key_pem = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"
    raft_timeouts   = { heartbeat = "1s", election = "1s" }
    log_store       = "bolt"
  }

  assert {
    condition     = output.quorum == 3 && output.nodes.c6.role == "join" && output.nodes.c1.role == "bootstrap"
    error_message = "Five voters have a quorum of three; c6 joins."
  }
  assert {
    condition     = output.nodes.c6.env.VELTRIX_JOIN == "https://10.0.1.10:8080" && !contains(keys(output.nodes.c6.env), "VELTRIX_BOOTSTRAP") && !contains(keys(output.nodes.c6.env), "VELTRIX_PEERS")
    error_message = "A joining voter names a bootstrap voter's API (https with TLS) and does not bootstrap."
  }
  assert {
    condition     = output.peers == "c1=10.0.1.10:7000,c2=10.0.2.10:7000,c3=10.0.3.10:7000,c4=coord-4.internal.example.com:7000"
    error_message = "Bootstrap peers are the voters that do not join."
  }
  assert {
    condition = alltrue([for k, v in {
      VELTRIX_TLS_CERT          = "/etc/veltrix/tls/api.crt", VELTRIX_TLS_KEY = "/etc/veltrix/tls/api.key", SSL_CERT_FILE = "/etc/veltrix/tls/ca.crt",
      VELTRIX_HEARTBEAT_TIMEOUT = "1s", VELTRIX_ELECTION_TIMEOUT = "1s", VELTRIX_LOG_STORE = "bolt",
    } : output.nodes.c2.env[k] == v]) && !contains(keys(output.nodes.c2.env), "VELTRIX_LEADER_LEASE_TIMEOUT")
    error_message = "TLS, CA, timeouts and log store must reach the environment; unset timeouts keep the binary's defaults."
  }
  assert {
    condition     = !contains(output.nodes.c2.flags, "-ssl-cert-file=/etc/veltrix/tls/ca.crt") && output.health_check.protocol == "HTTPS" && output.api_urls[3] == "https://coord-4.internal.example.com:8080"
    error_message = "SSL_CERT_FILE is not a flag; URLs and health checks use HTTPS."
  }
  assert {
    condition     = strcontains(jsonencode(yamldecode(output.user_data.c1).runcmd[0]), "dev='/dev/nvme1n1'") && strcontains(jsonencode(yamldecode(output.user_data.c6).runcmd[0]), "dev='/dev/disk/by-id/nvme-vol6'")
    error_message = "cloud-init must mount the data volume first, per-voter devices overriding the default."
  }
  assert {
    condition     = strcontains(jsonencode(yamldecode(output.user_data.c1).runcmd[0]), "mnt='/var/lib/veltrix'") && output.nodes.c1.paths.data_dir == "/var/lib/veltrix/c1"
    error_message = "The volume is mounted at data_root and holds each voter's data directory."
  }
  assert {
    condition = (
      [for f in yamldecode(output.user_data.c3).write_files : f if f.path == "/etc/veltrix/token.key"][0].permissions == "0640" &&
      contains(yamldecode(output.user_data.c3).runcmd, ["chgrp", "veltrix", "/etc/veltrix/token.key"])
    )
    error_message = "The signing key must be written root-owned and readable by the service group only."
  }
}

run "loopback_binds_own_address" {
  command = plan

  variables {
    voters = [
      { id = "c1", address = "127.0.0.11" },
      { id = "c2", address = "127.0.0.12" },
      { id = "c3", address = "127.0.0.13" },
    ]
    api_bind_all = false
    raft_port    = 19101
    api_port     = 19201
    raft_tls     = { cert_path = "/run/veltrix/raft/{id}.crt", key_path = "/run/veltrix/raft/{id}.key", ca_path = "/run/veltrix/raft/ca.crt", peer_name = "raft.veltrix.internal" }
  }

  assert {
    condition     = output.nodes.c3.api_listen == "127.0.0.13:19201" && output.nodes.c3.raft_addr == "127.0.0.13:19101" && output.nodes.c3.api_url == "http://127.0.0.13:19201"
    error_message = "Without api_bind_all each voter binds its own address."
  }
  assert {
    condition = (
      output.nodes.c3.env.VELTRIX_RAFT_TLS_CERT == "/run/veltrix/raft/c3.crt" && output.nodes.c3.env.VELTRIX_RAFT_TLS_KEY == "/run/veltrix/raft/c3.key" &&
      output.nodes.c2.env.VELTRIX_RAFT_TLS_CA == "/run/veltrix/raft/ca.crt" && output.nodes.c2.env.VELTRIX_RAFT_TLS_NAME == "raft.veltrix.internal"
    )
    error_message = "Voters sharing a machine get their own raft certificate ({id}); peer_name reaches -raft-tls-name."
  }
}
