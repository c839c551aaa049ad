# Bad inputs fail at plan, each on the variable at fault.

variables {
  region           = "eu-west-1"
  coordinator_urls = ["http://10.0.1.10:8080"]
  edge_token       = "edge-token-0123456789abcdef"
  public_url       = "wss://ws.play.example.com/ws"
}

run "region_upper_case" {
  command = plan
  variables { region = "EU-West" }
  expect_failures = [var.region]
}

run "no_coordinators" {
  command = plan
  variables { coordinator_urls = [] }
  expect_failures = [var.coordinator_urls]
}

run "coordinator_url_with_path" {
  command = plan
  variables { coordinator_urls = ["http://10.0.1.10:8080/v1"] }
  expect_failures = [var.coordinator_urls]
}

run "short_edge_token" {
  command = plan
  variables { edge_token = "short" }
  expect_failures = [var.edge_token]
}

run "public_url_not_websocket" {
  command = plan
  variables { public_url = "https://ws.play.example.com/ws" }
  expect_failures = [var.public_url]
}

run "port_out_of_range" {
  command = plan
  variables { port = 70000 }
  expect_failures = [var.port]
}

run "listen_host_is_a_name" {
  command = plan
  variables { listen_host = "edge.example.com" }
  expect_failures = [var.listen_host]
}

run "listen_host_out_of_range" {
  command = plan
  variables { listen_host = "10.0.0.256" }
  expect_failures = [var.listen_host]
}

run "pprof_on_a_public_address" {
  command = plan
  variables { pprof_addr = "0.0.0.0:6060" }
  expect_failures = [var.pprof_addr]
}

run "origin_with_trailing_slash" {
  command = plan
  variables { allowed_origins = ["https://play.example.com/"] }
  expect_failures = [var.allowed_origins]
}

run "too_few_connections" {
  command = plan
  variables { max_connections = 10 }
  expect_failures = [var.max_connections]
}

run "relative_tls_path" {
  command = plan
  variables { tls = { cert_path = "edge.crt", key_path = "/etc/veltrix/tls/edge.key" } }
  expect_failures = [var.tls]
}

run "release_without_checksum" {
  command = plan
  variables { release = { url = "https://releases.example.com/veltrix-edge", sha256 = "latest" } }
  expect_failures = [var.release]
}

run "tick_rate_too_high" {
  command = plan
  variables { tick_hz = 1000 }
  expect_failures = [var.tick_hz]
}

run "unknown_transport" {
  command = plan
  variables { transport = "epoll" }
  expect_failures = [var.transport]
}

run "uring_transport_without_io_uring" {
  command = plan
  variables {
    transport = "uring"
    io_uring  = false
  }
  expect_failures = [output.env]
}

run "zero_rings" {
  command = plan
  variables { rings = 0 }
  expect_failures = [var.rings]
}

run "release_over_http" {
  command = plan
  variables { release = { url = "http://releases.example.com/veltrix-edge", sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" } }
  expect_failures = [var.release]
}

run "id_with_a_slash" {
  command = plan
  variables { id = "eu/edge-1" }
  expect_failures = [var.id]
}

run "id_too_long" {
  command = plan
  variables { id = "e${join("", [for i in range(63) : "x"])}" }
  expect_failures = [var.id]
}

run "coordinator_ca_relative" {
  command = plan
  variables { coordinator_ca_path = "certs/coordinator-ca.pem" }
  expect_failures = [var.coordinator_ca_path]
}

run "relative_coordinator_client_cert" {
  command = plan
  variables { coordinator_client_cert = { cert_path = "edge.crt", key_path = "/etc/veltrix/tls/edge.key" } }
  expect_failures = [var.coordinator_client_cert]
}

run "radius_zero" {
  command = plan
  variables { radius = 0 }
  expect_failures = [var.radius]
}

run "radius_too_large" {
  command = plan
  variables { radius = 5 }
  expect_failures = [var.radius]
}

run "radius_fractional" {
  command = plan
  variables { radius = 1.5 }
  expect_failures = [var.radius]
}

run "unknown_log_level" {
  command = plan
  variables { log_level = "verbose" }
  expect_failures = [var.log_level]
}

run "log_level_upper_case" {
  command = plan
  variables { log_level = "INFO" }
  expect_failures = [var.log_level]
}

run "too_little_memory" {
  command = plan
  variables { memory_mib = 1023 }
  expect_failures = [var.memory_mib]
}

run "memory_fractional" {
  command = plan
  variables { memory_mib = 2048.5 }
  expect_failures = [var.memory_mib]
}

run "binary_path_relative" {
  command = plan
  variables { binary_path = "bin/veltrix-edge" }
  expect_failures = [var.binary_path]
}

run "binary_path_with_space" {
  command = plan
  variables { binary_path = "/opt/veltrix edge/veltrix-edge" }
  expect_failures = [var.binary_path]
}

run "config_dir_relative" {
  command = plan
  variables { config_dir = "etc/veltrix" }
  expect_failures = [var.config_dir]
}

run "service_user_upper_case" {
  command = plan
  variables { service_user = "Veltrix" }
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

run "stop_timeout_fractional" {
  command = plan
  variables { stop_timeout_seconds = 30.5 }
  expect_failures = [var.stop_timeout_seconds]
}

# The edges of each range are accepted and reach the rendered files.

run "upper_boundaries_accepted" {
  command = plan
  variables {
    id                      = "e${join("", [for i in range(62) : "x"])}"
    radius                  = 4
    log_level               = "error"
    stop_timeout_seconds    = 600
    service_user            = "_${join("", [for i in range(30) : "v"])}"
    coordinator_ca_path     = "/etc/veltrix/tls/coordinator-ca.pem"
    coordinator_client_cert = { cert_path = "/etc/veltrix/tls/edge-client.crt", key_path = "/etc/veltrix/tls/edge-client.key" }
    binary_path             = "/opt/veltrix/bin/veltrix-edge"
    config_dir              = "/etc/veltrix-edge"
  }

  assert {
    condition     = length(output.env.VELTRIX_EDGE_ID) == 63 && output.env.VELTRIX_EDGE_RADIUS == "4" && output.env.VELTRIX_EDGE_LOG_LEVEL == "error"
    error_message = "A 63-character id, radius 4 and log level error must be accepted and reach the environment."
  }
  assert {
    condition     = output.env.SSL_CERT_FILE == "/etc/veltrix/tls/coordinator-ca.pem" && output.paths.env_file == "/etc/veltrix-edge/edge.env"
    error_message = "coordinator_ca_path must set SSL_CERT_FILE and config_dir must hold the environment files."
  }
  assert {
    condition     = output.env.VELTRIX_EDGE_COORDINATOR_CERT == "/etc/veltrix/tls/edge-client.crt" && output.env.VELTRIX_EDGE_COORDINATOR_KEY == "/etc/veltrix/tls/edge-client.key" && contains(output.flags, "-coordinator-cert=/etc/veltrix/tls/edge-client.crt")
    error_message = "coordinator_client_cert must reach -coordinator-cert and -coordinator-key."
  }
  assert {
    condition     = strcontains(output.systemd_unit, "TimeoutStopSec=600\n") && strcontains(output.systemd_unit, "User=_${join("", [for i in range(30) : "v"])}\n") && strcontains(output.systemd_unit, "ExecStart=/opt/veltrix/bin/veltrix-edge")
    error_message = "A 600 s stop timeout, a 31-character user and the binary path must reach the unit."
  }
}

run "lower_boundaries_accepted" {
  command = plan
  variables {
    id                   = "e"
    radius               = 1
    log_level            = "debug"
    memory_mib           = 1024
    stop_timeout_seconds = 10
  }

  assert {
    condition     = output.env.VELTRIX_EDGE_ID == "e" && output.env.VELTRIX_EDGE_RADIUS == "1" && output.env.VELTRIX_EDGE_LOG_LEVEL == "debug"
    error_message = "A one-character id, radius 1 and log level debug must be accepted."
  }
  assert {
    condition     = output.sysctl["net.ipv4.tcp_mem"] == "65536 131072 196608" && strcontains(output.systemd_unit, "TimeoutStopSec=10\n")
    error_message = "1024 MiB (tcp_mem 25/50/75% of 262144 pages) and a 10 s stop timeout must be accepted."
  }
}

run "drain_delay_out_of_range" {
  command = plan
  variables { drain_delay_seconds = 301 }
  expect_failures = [var.drain_delay_seconds]
}

run "drain_delay_fraction" {
  command = plan
  variables { drain_delay_seconds = 2.5 }
  expect_failures = [var.drain_delay_seconds]
}

run "drain_delay_leaves_no_time_to_stop" {
  command = plan
  variables {
    drain_delay_seconds  = 25
    stop_timeout_seconds = 30
  }
  expect_failures = [output.env]
}

run "region_edge_with_port" {
  command = plan
  variables { region_edges = ["10.0.2.21:6250"] }
  expect_failures = [var.region_edges]
}

run "nats_url_not_nats" {
  command = plan
  variables { nats_url = "http://nats:4222" }
  expect_failures = [var.nats_url]
}

run "nats_url_and_routes" {
  command = plan
  variables {
    nats_url     = "nats://nats:4222"
    region_edges = ["10.0.2.21"]
  }
  expect_failures = [output.env]
}

run "routing_region_bad_url" {
  command = plan
  variables { routing_regions = [{ name = "eu", ws = "https://eu.example.com/ws" }] }
  expect_failures = [var.routing_regions]
}

run "routing_region_url_with_separator" {
  command = plan
  variables { routing_regions = [{ name = "eu", ws = "wss://eu.example.com/ws;us" }] }
  expect_failures = [var.routing_regions]
}

run "routing_regions_named_twice" {
  command = plan
  variables { routing_regions = [{ name = "eu", ws = "wss://a/ws" }, { name = "eu", ws = "wss://b/ws" }] }
  expect_failures = [var.routing_regions]
}

run "routing_region_bad_cell" {
  command = plan
  variables { routing_regions = [{ name = "eu", ws = "wss://a/ws", cells = ["not-a-cell"] }] }
  expect_failures = [var.routing_regions]
}

run "sibling_bad_url" {
  command = plan
  variables { siblings = [{ id = "eu-2", ws = "wss://a/ws", wt = "wss://a/wt" }] }
  expect_failures = [var.siblings]
}
