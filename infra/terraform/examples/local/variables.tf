variable "bin_dir" {
  description = "Directory holding the built veltrix-coordinator and veltrix-edge binaries (`make build`), absolute or relative to the working directory. Null: the repository's bin/."
  type        = string
  default     = null

  validation {
    condition     = var.bin_dir == null || can(regex("^[A-Za-z0-9._/-]+$", coalesce(var.bin_dir, "-")))
    error_message = "bin_dir must be a path without spaces."
  }
}

variable "run_dir" {
  description = "Directory for the rendered files, process ids, logs and raft data; destroy removes it. Null: .run/ next to this example."
  type        = string
  default     = null

  validation {
    condition     = var.run_dir == null || can(regex("^/[A-Za-z0-9._/-]+$", coalesce(var.run_dir, "-")))
    error_message = "run_dir must be an absolute path without spaces."
  }
}

variable "coordinator_addresses" {
  description = "Loopback address of each coordinator voter (c1, c2, ...): 3 or 5 of them, each its own \"host\" with the same ports."
  type        = list(string)
  default     = ["127.0.0.11", "127.0.0.12", "127.0.0.13"]

  validation {
    condition     = alltrue([for a in var.coordinator_addresses : can(regex("^127\\.([0-9]{1,3}\\.){2}[0-9]{1,3}$", a))])
    error_message = "coordinator_addresses must be loopback addresses (127.x.y.z): this example never leaves the machine."
  }
  validation {
    condition     = contains([3, 5], length(var.coordinator_addresses))
    error_message = "coordinator_addresses must hold 3 or 5 addresses, one per voter."
  }
}

variable "edges" {
  description = "Edges by region name, each on its own loopback address."
  type        = map(string)
  default = {
    local-a = "127.0.0.21"
    local-b = "127.0.0.22"
  }

  validation {
    condition     = length(var.edges) > 0 && alltrue([for a in values(var.edges) : can(regex("^127\\.([0-9]{1,3}\\.){2}[0-9]{1,3}$", a))])
    error_message = "edges must map at least one region to a loopback address (127.x.y.z)."
  }
}

variable "ports" {
  description = "Ports on every loopback address: raft and API of the coordinators, the edges' TCP+UDP port, the edges' NATS routes. High ports that no other test uses."
  type = object({
    raft = optional(number, 19101)
    api  = optional(number, 19201)
    edge = optional(number, 19301)
    nats = optional(number, 19401)
  })
  default = {}

  validation {
    condition     = alltrue([for p in [var.ports.raft, var.ports.api, var.ports.edge, var.ports.nats] : p >= 1024 && p <= 65535 && floor(p) == p])
    error_message = "ports must be integers between 1024 and 65535 (the processes run unprivileged)."
  }
  validation {
    condition     = length(distinct([var.ports.raft, var.ports.api, var.ports.edge, var.ports.nats])) == 4
    error_message = "The raft, API, edge and NATS ports must differ."
  }
}

variable "admin_token" {
  description = "Admin bearer token of the local cluster (local use only)."
  type        = string
  default     = "local-admin-token-0123456789"
  sensitive   = true
}

variable "edge_tokens" {
  description = "Each edge's own bearer token, by region (local use only); a region not named gets local-edge-token-<region>-0123456789."
  type        = map(string)
  default     = {}
  sensitive   = true
}

variable "ready_timeout_seconds" {
  description = "How long apply waits for every /readyz to answer 200 before failing (generous: a busy machine starts slowly)."
  type        = number
  default     = 120

  validation {
    condition     = var.ready_timeout_seconds >= 5 && var.ready_timeout_seconds <= 600
    error_message = "ready_timeout_seconds must be between 5 and 600."
  }
}
