variable "voters" {
  description = <<-EOT
    The raft voters: 3 or 5, each with a raft server id and a stable address
    (a fixed private IPv4 address or a DNS name that resolves to the host
    itself; raft binds and advertises it). join = true starts the node with
    -join against a bootstrap voter instead of bootstrapping: for replacing
    one voter of a running cluster (docs/operations.md). data_device
    overrides data_volume.device for this node.
  EOT
  type = list(object({
    id          = string
    address     = string
    join        = optional(bool, false)
    data_device = optional(string)
  }))

  validation {
    condition     = contains([3, 5], length(var.voters))
    error_message = "voters must list 3 or 5 coordinators (a quorum that survives 1 or 2 failures); got ${length(var.voters)}."
  }
  validation {
    condition     = alltrue([for v in var.voters : can(regex("^[a-z0-9][a-z0-9-]{0,31}$", v.id))])
    error_message = "Each voter id must be 1-32 characters of lower-case letters, digits and dashes, e.g. c1."
  }
  validation {
    condition     = length(distinct([for v in var.voters : v.id])) == length(var.voters)
    error_message = "Voter ids must be unique."
  }
  validation {
    condition = alltrue([for v in var.voters :
      can(regex("^((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])$", v.address)) ||
      can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", v.address))
    ])
    error_message = "Each voter address must be an IPv4 address or a lower-case DNS name, without a port."
  }
  validation {
    condition     = length(distinct([for v in var.voters : v.address])) == length(var.voters)
    error_message = "Voter addresses must be unique: each voter is its own host."
  }
  validation {
    condition     = length([for v in var.voters : v if v.join]) <= 1
    error_message = "At most one voter may join at a time: replace voters one by one, and set join = false once a voter has joined."
  }
  validation {
    condition     = alltrue([for v in var.voters : v.data_device == null || can(regex("^/dev/[A-Za-z0-9._/-]+$", coalesce(v.data_device, "-")))])
    error_message = "A voter's data_device must be a /dev/... path."
  }
}

variable "raft_port" {
  description = "Raft TCP port on every voter (-raft-addr)."
  type        = number
  default     = 7000

  validation {
    condition     = var.raft_port >= 1024 && var.raft_port <= 65535 && floor(var.raft_port) == var.raft_port
    error_message = "raft_port must be an integer between 1024 and 65535 (the unit grants no capabilities)."
  }
}

variable "api_port" {
  description = "HTTP API port on every voter (-api-addr): admin API, edge API, /readyz, /metrics."
  type        = number
  default     = 8080

  validation {
    condition     = var.api_port >= 1024 && var.api_port <= 65535 && floor(var.api_port) == var.api_port
    error_message = "api_port must be an integer between 1024 and 65535 (the unit grants no capabilities)."
  }
}

variable "api_bind_all" {
  description = "Bind the API on every interface (0.0.0.0) and advertise the voter's address; false binds the voter's address only (loopback clusters)."
  type        = bool
  default     = true
}

variable "admin_token" {
  description = "Admin API bearer token (-admin-token), the same on every voter."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9._~+/=-]{16,512}$", var.admin_token))
    error_message = "admin_token must be 16-512 characters of letters, digits and ._~+/=- (no spaces or quotes)."
  }
}

variable "edge_tokens" {
  description = "Per-edge bearer tokens by edge id, or by an id prefix ending in * for the identical instances of an autoscaling group (each names itself <prefix><instance>). Voters hold only their SHA-256, in the -edge-credentials file; each edge is given its own token, never the admin token."
  type        = map(string)
  sensitive   = true

  validation {
    condition     = length(var.edge_tokens) > 0 && alltrue([for id, t in var.edge_tokens : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}[*]?$", id)) && can(regex("^[A-Za-z0-9._~+/=-]{16,512}$", t))])
    error_message = "edge_tokens maps edge ids (letters, digits, ._-, at most 64, optionally ending in *) to tokens of 16-512 characters of letters, digits and ._~+/=-."
  }
  validation {
    condition     = length(distinct(values(var.edge_tokens))) == length(var.edge_tokens)
    error_message = "Every edge in edge_tokens needs a token of its own."
  }
}

variable "signing_key_path" {
  description = "Path of the Ed25519 PKCS #8 PEM key that signs player tokens (-signing-key). Every voter must hold the same key: edges fetch its public half from any voter."
  type        = string
  default     = "/etc/veltrix/token.key"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]+$", var.signing_key_path))
    error_message = "signing_key_path must be an absolute path without spaces."
  }
}

variable "signing_key_pem" {
  description = "The signing key itself, for cloud-init to write at signing_key_path (root-owned, readable by the service group). Null: the key is placed out of band."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.signing_key_pem == null || can(regex("^-----BEGIN PRIVATE KEY-----\\n[A-Za-z0-9+/=\\n]+-----END PRIVATE KEY-----\\n?$", coalesce(var.signing_key_pem, "-")))
    error_message = "signing_key_pem must be a PKCS #8 PEM block (-----BEGIN PRIVATE KEY-----)."
  }
}

variable "raft_tls" {
  description = <<-EOT
    Mutual TLS between the voters on the raft port (required: this module
    never runs raft over plain TCP). Files on each host, placed out of band
    like the API certificate: cert_path and key_path are the voter's raft
    certificate and key (-raft-tls-cert, -raft-tls-key), ca_path the CA
    bundle that signs every voter's raft certificate (-raft-tls-ca). Each
    certificate must carry the DNS name peer_name (-raft-tls-name; null: the
    binary's default, veltrix-raft) and both the serverAuth and clientAuth
    extended key usages. "{id}" in a path is replaced by the voter's id, for
    voters that share a machine (examples/local). The coordinator re-reads
    the files when they change: rotate by replacing them (docs/operations.md).
  EOT
  type = object({
    cert_path = string
    key_path  = string
    ca_path   = string
    peer_name = optional(string)
  })

  validation {
    condition     = alltrue([for p in [var.raft_tls.cert_path, var.raft_tls.key_path, var.raft_tls.ca_path] : can(regex("^/[A-Za-z0-9._/{}-]+$", p))])
    error_message = "Every raft_tls path must be absolute, without spaces."
  }
  validation {
    condition     = var.raft_tls.peer_name == null || can(regex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", coalesce(var.raft_tls.peer_name, "-")))
    error_message = "raft_tls.peer_name must be a lower-case DNS name."
  }
}

variable "tls" {
  description = "HTTPS for the API: certificate and key files (-tls-cert, -tls-key); client_ca_path requires client certificates signed by that CA (-tls-client-ca, mutual TLS: edges then need -coordinator-cert and -coordinator-key); ca_path is a CA file to trust for peers (SSL_CERT_FILE) when not mutual. Null: plain HTTP (private networks only)."
  type = object({
    cert_path      = string
    key_path       = string
    client_ca_path = optional(string)
    ca_path        = optional(string)
  })
  default = null

  validation {
    condition = var.tls == null || alltrue([for p in compact([try(var.tls.cert_path, ""), try(var.tls.key_path, ""), try(var.tls.client_ca_path, ""), try(var.tls.ca_path, "")]) :
    can(regex("^/[A-Za-z0-9._/-]+$", p))])
    error_message = "Every tls path must be absolute, without spaces."
  }
  validation {
    condition     = var.tls == null || (try(var.tls.cert_path, "") != "" && try(var.tls.key_path, "") != "")
    error_message = "tls needs both cert_path and key_path."
  }
}

variable "data_root" {
  description = "Parent of the raft data: each voter keeps its log, stable store and snapshots in <data_root>/<id> (-data-dir), like the binary's own ./data/<id>."
  type        = string
  default     = "/var/lib/veltrix"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$", var.data_root))
    error_message = "data_root must be an absolute path without spaces or a trailing slash."
  }
}

variable "data_volume" {
  description = "A dedicated (encrypted) volume for the raft data: cloud-init waits for the device, formats it if blank and mounts it by UUID at data_root. Null: data on the root disk."
  type = object({
    device  = string
    fs_type = optional(string, "ext4")
  })
  default = null

  validation {
    condition     = var.data_volume == null || can(regex("^/dev/[A-Za-z0-9._/-]+$", try(var.data_volume.device, "")))
    error_message = "data_volume.device must be a /dev/... path, e.g. /dev/nvme1n1 or /dev/disk/by-id/...."
  }
  validation {
    condition     = var.data_volume == null || contains(["ext4", "xfs"], try(var.data_volume.fs_type, ""))
    error_message = "data_volume.fs_type must be ext4 or xfs."
  }
}

variable "log_store" {
  description = "Raft log store (-log-store): wal or bolt. Unset keeps the binary's choice: the store a data directory already holds, wal (raft-wal, the faster) for a new one."
  type        = string
  default     = null

  validation {
    condition     = var.log_store == null || contains(["bolt", "wal"], coalesce(var.log_store, "-"))
    error_message = "log_store must be bolt or wal."
  }
}

variable "raft_timeouts" {
  description = "Raft timeouts as Go durations (-heartbeat-timeout, -election-timeout, -leader-lease-timeout); unset ones keep the binary's defaults (300ms, 300ms, 250ms). Raise them for voters in different regions."
  type = object({
    heartbeat    = optional(string)
    election     = optional(string)
    leader_lease = optional(string)
  })
  default = {}

  validation {
    condition     = alltrue([for d in compact([try(var.raft_timeouts.heartbeat, ""), try(var.raft_timeouts.election, ""), try(var.raft_timeouts.leader_lease, "")]) : can(regex("^[0-9]+(ms|s)$", d))])
    error_message = "raft_timeouts must be durations like 300ms or 2s."
  }
}

variable "snapshot_threshold" {
  description = "Log entries between raft snapshots (-snapshot-threshold). Null: the binary's default (8192)."
  type        = number
  default     = null

  validation {
    condition     = var.snapshot_threshold == null || try(var.snapshot_threshold >= 1024 && floor(var.snapshot_threshold) == var.snapshot_threshold, false)
    error_message = "snapshot_threshold must be an integer of at least 1024."
  }
}

variable "log_level" {
  description = "Log level (-log-level): debug, info, warn or error."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be one of debug, info, warn, error."
  }
}

variable "binary_path" {
  description = "Absolute path of the veltrix-coordinator binary on the host."
  type        = string
  default     = "/usr/local/bin/veltrix-coordinator"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]+$", var.binary_path))
    error_message = "binary_path must be an absolute path without spaces."
  }
}

variable "release" {
  description = "Where cloud-init downloads the binary at first boot, with its SHA-256. Null: the image already has it at binary_path."
  type = object({
    url    = string
    sha256 = string
  })
  default = null

  validation {
    condition     = var.release == null || can(regex("^https://[^\\s'\"]+$", try(var.release.url, "")))
    error_message = "release.url must be an https:// URL without spaces or quotes."
  }
  validation {
    condition     = var.release == null || can(regex("^[0-9a-f]{64}$", try(var.release.sha256, "")))
    error_message = "release.sha256 must be 64 lower-case hex digits."
  }
}

variable "config_dir" {
  description = "Directory of the environment files on the host."
  type        = string
  default     = "/etc/veltrix"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._/-]+$", var.config_dir))
    error_message = "config_dir must be an absolute path without spaces."
  }
}

variable "service_user" {
  description = "System user (and group) the coordinator runs as; cloud-init creates it and gives it the data directory."
  type        = string
  default     = "veltrix"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,30}$", var.service_user))
    error_message = "service_user must be a valid Linux user name (lower case, at most 31 characters)."
  }
}

variable "stop_timeout_seconds" {
  description = "How long systemd waits after SIGTERM (raft and stores closed cleanly) before SIGKILL."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout_seconds >= 10 && var.stop_timeout_seconds <= 600 && floor(var.stop_timeout_seconds) == var.stop_timeout_seconds
    error_message = "stop_timeout_seconds must be an integer between 10 and 600."
  }
}
