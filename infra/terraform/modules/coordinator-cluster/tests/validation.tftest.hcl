# Bad inputs fail at plan, each on the variable or output at fault.

variables {
  voters = [
    { id = "c1", address = "10.0.1.10" },
    { id = "c2", address = "10.0.2.10" },
    { id = "c3", address = "10.0.3.10" },
  ]
  admin_token = "admin-token-0123456789abcdef"
  edge_token  = "edge-token-0123456789abcdef"
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
