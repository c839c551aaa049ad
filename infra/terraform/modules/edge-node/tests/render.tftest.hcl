# What an edge host gets, asserted on the plan (the module has no resources).

variables {
  region           = "eu-west-1"
  coordinator_urls = ["https://10.0.1.10:8080", "https://10.0.1.11:8080/"]
  edge_token       = "edge-token-0123456789abcdef"
  public_url       = "wss://ws.play.example.com/ws"
}

run "defaults_million_connections" {
  command = plan

  assert {
    condition     = output.env.VELTRIX_EDGE_LISTEN == "0.0.0.0:443" && output.listen == "0.0.0.0:443"
    error_message = "The edge must listen on 0.0.0.0:443 by default."
  }
  assert {
    condition     = output.env.VELTRIX_EDGE_COORDINATORS == "https://10.0.1.10:8080,https://10.0.1.11:8080"
    error_message = "Coordinator URLs must be joined with commas and lose trailing slashes."
  }
  assert {
    condition     = output.env.VELTRIX_EDGE_REGION == "eu-west-1" && output.env.VELTRIX_EDGE_PUBLIC_URL == "wss://ws.play.example.com/ws"
    error_message = "Region and public URL must reach the edge's environment."
  }
  assert {
    condition     = !contains(keys(output.env), "VELTRIX_EDGE_ID") && strcontains(output.cloud_init, "cloud-init query v1.instance_id")
    error_message = "Without an id, each host must name itself at first boot."
  }
  assert {
    condition     = !strcontains(output.env_file, "edge-token-0123456789abcdef") && output.secrets_env_file == "VELTRIX_EDGE_EDGE_TOKEN=edge-token-0123456789abcdef\n"
    error_message = "The edge token belongs in the secrets file only."
  }
  assert {
    condition     = contains(output.flags, "-listen=0.0.0.0:443") && contains(output.flags, "-tick-hz=10") && contains(output.flags, "-public-url=wss://ws.play.example.com/ws")
    error_message = "Flags must mirror the environment."
  }
  assert {
    condition     = output.limit_nofile == 1114112 && output.sysctl["fs.nr_open"] == "1114112" && output.sysctl["fs.file-max"] == "2228224"
    error_message = "A million connections need LimitNOFILE and fs.nr_open of 1114112 (1e6 + 65536 rounded up to 65536)."
  }
  assert {
    condition = alltrue([for k, v in {
      "net.core.somaxconn"              = "65535"
      "net.ipv4.ip_local_port_range"    = "1024 65535"
      "net.ipv4.tcp_mem"                = "1048576 2097152 3145728"
      "-kernel.io_uring_disabled"       = "0"
      "-net.netfilter.nf_conntrack_max" = "2000000"
    } : output.sysctl[k] == v])
    error_message = "somaxconn, the port range, tcp_mem for 16 GiB, io_uring and conntrack must be tuned."
  }
  assert {
    condition     = output.env.VELTRIX_EDGE_TRANSPORT == "auto" && !contains(keys(output.env), "VELTRIX_EDGE_RINGS") && !strcontains(output.systemd_unit, "~io_uring")
    error_message = "By default the edge picks io_uring where the kernel allows it, and the unit lets its syscalls through."
  }
  assert {
    condition     = !contains(keys(output.sysctl), "net.ipv4.ip_local_reserved_ports")
    error_message = "Port 443 is not in the ephemeral range and needs no reservation."
  }
  assert {
    condition     = strcontains(output.sysctl_conf, "fs.nr_open = 1114112\n") && strcontains(output.limits_conf, "veltrix hard nofile 1114112")
    error_message = "The sysctl and limits files must carry the computed values."
  }
  assert {
    condition = alltrue([for line in [
      "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=yes", "Restart=on-failure",
      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE", "AmbientCapabilities=CAP_NET_BIND_SERVICE", "LimitNOFILE=1114112",
      "SystemCallFilter=@system-service", "ExecStart=/usr/local/bin/veltrix-edge",
      "EnvironmentFile=/etc/veltrix/edge.env", "EnvironmentFile=/etc/veltrix/edge-secrets.env", "User=veltrix",
    ] : strcontains(output.systemd_unit, "\n${line}\n")])
    error_message = "The unit must be hardened, restart on failure, raise LimitNOFILE and read both environment files."
  }
  assert {
    condition     = output.health_check == { protocol = "HTTP", port = 443, path = "/readyz", matcher = "200" } && output.ports == { tcp = 443, udp = 443 }
    error_message = "Load balancers must check /readyz over HTTP on the edge port, TCP and UDP."
  }
}

run "cloud_init_writes_everything" {
  command = plan

  assert {
    condition     = startswith(output.cloud_init, "#cloud-config\n")
    error_message = "User data must start with #cloud-config."
  }
  assert {
    condition = (
      [for f in yamldecode(output.cloud_init).write_files : f.path] ==
      ["/etc/security/limits.d/60-veltrix-edge.conf", "/etc/sysctl.d/60-veltrix-edge.conf", "/etc/systemd/system/veltrix-edge.service", "/etc/veltrix/edge-secrets.env", "/etc/veltrix/edge.env"]
    )
    error_message = "cloud-init must write the limits, sysctl, unit and both environment files."
  }
  assert {
    condition = alltrue([for f in yamldecode(output.cloud_init).write_files :
      base64decode(f.content) == merge(output.files, output.secret_files)[f.path].content &&
      f.permissions == (f.path == "/etc/veltrix/edge-secrets.env" ? "0600" : "0644")
    ])
    error_message = "cloud-init must write exactly the rendered files, the secrets file root-only."
  }
  assert {
    condition     = yamldecode(output.cloud_init).runcmd[0] == ["systemctl", "restart", "systemd-sysctl.service"] && yamldecode(output.cloud_init).runcmd[length(yamldecode(output.cloud_init).runcmd) - 1] == ["systemctl", "enable", "--now", "veltrix-edge.service"]
    error_message = "cloud-init must apply the sysctls first and start the service last."
  }
  assert {
    condition     = yamldecode(output.cloud_init).users[0].name == "veltrix" && yamldecode(output.cloud_init).users[0].system
    error_message = "cloud-init must create the system user."
  }
}

run "tls_high_port_named_host_release" {
  command = plan

  variables {
    id              = "eu-west-1-a"
    port            = 8443
    listen_host     = "10.0.2.15"
    tls             = { cert_path = "/etc/veltrix/tls/edge.crt", key_path = "/etc/veltrix/tls/edge.key" }
    allowed_origins = ["https://play.example.com"]
    release         = { url = "https://releases.example.com/veltrix-edge", sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }
    max_connections = 2000000
    memory_mib      = 65536
    io_uring        = false
  }

  assert {
    condition     = output.env.VELTRIX_EDGE_ID == "eu-west-1-a" && !strcontains(output.cloud_init, "instance_id")
    error_message = "An explicit id must be used as is."
  }
  assert {
    condition     = output.env.VELTRIX_EDGE_TLS_CERT == "/etc/veltrix/tls/edge.crt" && output.env.VELTRIX_EDGE_TLS_KEY == "/etc/veltrix/tls/edge.key" && output.health_check.protocol == "HTTPS"
    error_message = "TLS files must reach the edge and the health check must use HTTPS."
  }
  assert {
    condition     = output.env.VELTRIX_EDGE_ALLOWED_ORIGINS == "https://play.example.com" && output.listen == "10.0.2.15:8443"
    error_message = "Origins and listen address must reach the edge."
  }
  assert {
    condition     = output.sysctl["net.ipv4.ip_local_reserved_ports"] == "8443"
    error_message = "A port in the ephemeral range must be reserved."
  }
  assert {
    condition     = strcontains(output.systemd_unit, "\nCapabilityBoundingSet=\n") && !strcontains(output.systemd_unit, "CAP_NET_BIND_SERVICE")
    error_message = "Above 1024 the edge needs no capability at all."
  }
  assert {
    condition     = output.limit_nofile == 2097152 && output.sysctl["net.ipv4.tcp_mem"] == "4194304 8388608 12582912"
    error_message = "Sizing must follow max_connections and memory_mib."
  }
  assert {
    condition     = !contains(keys(output.sysctl), "-kernel.io_uring_disabled") && strcontains(output.systemd_unit, "\nSystemCallFilter=~io_uring_setup io_uring_enter io_uring_register\n") && output.env.VELTRIX_EDGE_TRANSPORT == "netpoll"
    error_message = "With io_uring off, the sysctl is not set, the syscalls are denied and the edge runs netpoll."
  }
  assert {
    condition     = strcontains(jsonencode(yamldecode(output.cloud_init).runcmd), "sha256sum -c")
    error_message = "A release must be downloaded and checked against its SHA-256."
  }
}

run "drain_delay_becomes_a_flag" {
  command = plan
  variables {
    drain_delay_seconds  = 20
    stop_timeout_seconds = 60
  }
  assert {
    condition     = output.env.VELTRIX_EDGE_DRAIN_DELAY == "20s" && contains(output.flags, "-drain-delay=20s")
    error_message = "drain_delay_seconds must reach the edge as VELTRIX_EDGE_DRAIN_DELAY / -drain-delay."
  }
  assert {
    condition     = strcontains(output.systemd_unit, "TimeoutStopSec=60")
    error_message = "the unit must wait stop_timeout_seconds."
  }
}

run "region_nats_routes" {
  command = plan

  variables {
    listen_host  = "10.0.2.21"
    port         = 8443
    region_edges = ["10.0.2.21", "10.0.2.22", "edge-3.eu-west-1.internal"]
  }

  assert {
    condition     = output.env.VELTRIX_EDGE_NATS_CLUSTER == "10.0.2.21:6250" && output.env.VELTRIX_EDGE_NATS_ROUTES == "10.0.2.21:6250,10.0.2.22:6250,edge-3.eu-west-1.internal:6250"
    error_message = "The embedded NATS server must listen for routes on the edge's address and route to every edge of the region."
  }
  assert {
    condition     = contains(output.flags, "-nats-routes=10.0.2.21:6250,10.0.2.22:6250,edge-3.eu-west-1.internal:6250") && !contains(keys(output.env), "VELTRIX_EDGE_NATS")
    error_message = "Flags must mirror the routes, and no external NATS URL is set."
  }
  assert {
    condition     = output.sysctl["net.ipv4.ip_local_reserved_ports"] == "8443,6250"
    error_message = "The edge's port and its NATS route port must be kept out of the ephemeral range."
  }
}

run "external_nats" {
  command = plan

  variables {
    nats_url = "nats://nats-1.internal:4222,nats://nats-2.internal:4222"
  }

  assert {
    condition     = output.env.VELTRIX_EDGE_NATS == "nats://nats-1.internal:4222,nats://nats-2.internal:4222" && !contains(keys(output.env), "VELTRIX_EDGE_NATS_ROUTES")
    error_message = "An external NATS cluster replaces the embedded server's routes."
  }
}

run "lone_edge_has_no_routes" {
  command = plan

  assert {
    condition     = !contains(keys(output.env), "VELTRIX_EDGE_NATS_CLUSTER") && !contains(keys(output.env), "VELTRIX_EDGE_NATS_ROUTES")
    error_message = "Without region_edges, the embedded NATS server runs alone."
  }
  assert {
    condition     = !contains(keys(output.env), "VELTRIX_EDGE_REGIONS") && !contains(keys(output.env), "VELTRIX_EDGE_SIBLINGS")
    error_message = "Without routing_regions and siblings, the edge gets no routing table and no siblings."
  }
}

run "routing_table_and_siblings" {
  command = plan

  variables {
    routing_regions = [
      { name = "eu-west-1", ws = "wss://eu.play.example.com/ws", wt = "https://eu.play.example.com/wt", cells = ["831f8dfffffffff", "831f89fffffffff"] },
      { name = "us-east-1", ws = "wss://us.play.example.com/ws" },
    ]
    siblings = [
      { id = "eu-2", ws = "wss://edge-2.eu.play.example.com/ws", wt = "https://edge-2.eu.play.example.com/wt" },
      { id = "eu-3", ws = "wss://edge-3.eu.play.example.com/ws" },
    ]
  }

  assert {
    condition     = output.env.VELTRIX_EDGE_REGIONS == "eu-west-1 ws=wss://eu.play.example.com/ws wt=https://eu.play.example.com/wt cells=831f8dfffffffff,831f89fffffffff; us-east-1 ws=wss://us.play.example.com/ws"
    error_message = "The routing table must reach the edge in its text form (geo.ParseTable): name ws= [wt=] [cells=], regions separated by '; '."
  }
  assert {
    condition     = output.env.VELTRIX_EDGE_SIBLINGS == "eu-2 ws=wss://edge-2.eu.play.example.com/ws wt=https://edge-2.eu.play.example.com/wt; eu-3 ws=wss://edge-3.eu.play.example.com/ws"
    error_message = "The siblings must reach the edge in the same text form."
  }
  assert {
    condition     = contains(output.flags, "-regions=${output.env.VELTRIX_EDGE_REGIONS}") && contains(output.flags, "-siblings=${output.env.VELTRIX_EDGE_SIBLINGS}") && output.env.VELTRIX_EDGE_REGION == "eu-west-1"
    error_message = "Flags must mirror the routing table and the siblings, next to -region."
  }
}
