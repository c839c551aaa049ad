variable "region" {
  description = "Region this edge serves (the edge's -region; also the DNS set identifier), e.g. eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.region))
    error_message = "region must be 2-32 characters of lower-case letters, digits and dashes, starting with a letter (e.g. eu-west-1)."
  }
}

variable "id" {
  description = "Edge id (-id), unique among all edges; it must be the id edge_token is bound to (an edge_tokens key of coordinator-cluster). Empty: each host names itself <region>-<cloud-init instance id> at first boot, which suits autoscaling groups sharing a group credential <region>-*."
  type        = string
  default     = ""

  validation {
    condition     = var.id == "" || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", var.id))
    error_message = "id must be empty or 1-63 characters of letters, digits, dots, dashes and underscores."
  }
}

variable "coordinator_urls" {
  description = "Coordinator API base URLs the edge follows and sends claims to (-coordinators), e.g. the api_urls output of coordinator-cluster."
  type        = list(string)

  validation {
    condition     = length(var.coordinator_urls) > 0
    error_message = "coordinator_urls must name at least one coordinator."
  }
  validation {
    condition     = alltrue([for u in var.coordinator_urls : can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$", u))])
    error_message = "Each coordinator URL must be http(s)://host[:port] with no path, e.g. https://10.0.1.10:8080."
  }
}

variable "edge_token" {
  description = "This edge's own credential with the coordinators (-edge-token): its value in coordinator-cluster's edge_tokens, never the admin token. Written only to the root-only secrets environment file."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^[A-Za-z0-9._~+/=-]{16,512}$", var.edge_token))
    error_message = "edge_token must be 16-512 characters of letters, digits and ._~+/=- (no spaces or quotes)."
  }
}

variable "listen_host" {
  description = "IP address the edge binds: TCP for HTTP/WebSocket and UDP for WebTransport, on the same port."
  type        = string
  default     = "0.0.0.0"

  validation {
    condition     = can(regex("^(((25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])|\\[[0-9a-fA-F:]+\\])$", var.listen_host))
    error_message = "listen_host must be an IPv4 address or a bracketed IPv6 address, e.g. 0.0.0.0 or [::]."
  }
}

variable "port" {
  description = "Port of the edge: TCP (HTTP, WebSocket) and UDP (WebTransport). Below 1024 the unit grants CAP_NET_BIND_SERVICE and nothing else."
  type        = number
  default     = 443

  validation {
    condition     = var.port >= 1 && var.port <= 65535 && floor(var.port) == var.port
    error_message = "port must be an integer between 1 and 65535."
  }
}

variable "public_url" {
  description = "WebSocket URL players are given for this edge (-public-url), e.g. wss://ws.play.example.com/ws (the geo-routing ws_url output)."
  type        = string

  validation {
    condition     = can(regex("^wss?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/[A-Za-z0-9._~/-]*$", var.public_url))
    error_message = "public_url must be ws://host[:port]/path or wss://host[:port]/path, e.g. wss://ws.play.example.com/ws."
  }
}

variable "tls" {
  description = "Certificate and key files for wss://, https:// and WebTransport (-tls-cert, -tls-key), placed on the host out of band. Null: plain HTTP and rotating self-signed WebTransport certificates (development only)."
  type = object({
    cert_path = string
    key_path  = string
  })
  default = null

  validation {
    condition     = var.tls == null || alltrue([for p in [try(var.tls.cert_path, ""), try(var.tls.key_path, "")] : can(regex("^/[A-Za-z0-9._/-]+$", p))])
    error_message = "tls.cert_path and tls.key_path must be absolute paths without spaces."
  }
}

variable "coordinator_ca_path" {
  description = "PEM file of the CA that signed the coordinators' certificates, when it is not in the system store (sets SSL_CERT_FILE for the edge). Null: system roots."
  type        = string
  default     = null

  validation {
    condition     = var.coordinator_ca_path == null || can(regex("^/[A-Za-z0-9._/-]+$", var.coordinator_ca_path))
    error_message = "coordinator_ca_path must be an absolute path without spaces."
  }
}

variable "coordinator_client_cert" {
  description = "Client certificate and key files the edge presents to https:// coordinators that require one (-coordinator-cert, -coordinator-key; the coordinators' tls.client_ca_path). Re-read when the files change. Null: none."
  type = object({
    cert_path = string
    key_path  = string
  })
  default = null

  validation {
    condition     = var.coordinator_client_cert == null || alltrue([for p in [try(var.coordinator_client_cert.cert_path, ""), try(var.coordinator_client_cert.key_path, "")] : can(regex("^/[A-Za-z0-9._/-]+$", p))])
    error_message = "coordinator_client_cert paths must be absolute, without spaces."
  }
}

variable "allowed_origins" {
  description = "Browser origins allowed besides the edge's own host (-allowed-origins), e.g. [\"https://play.example.com\"]."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.allowed_origins : can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", o))])
    error_message = "Each allowed origin must be scheme://host[:port] with no path or trailing slash, e.g. https://play.example.com."
  }
}

variable "tick_hz" {
  description = "Fan-out ticks per second (-tick-hz)."
  type        = number
  default     = 10

  validation {
    condition     = var.tick_hz >= 1 && var.tick_hz <= 60 && floor(var.tick_hz) == var.tick_hz
    error_message = "tick_hz must be an integer between 1 and 60."
  }
}

variable "radius" {
  description = "Interest radius in H3 cells (-radius, grid disk k)."
  type        = number
  default     = 1

  validation {
    condition     = var.radius >= 1 && var.radius <= 4 && floor(var.radius) == var.radius
    error_message = "radius must be an integer between 1 and 4."
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

variable "pprof_addr" {
  description = "Serve net/http/pprof on this loopback address (-pprof), e.g. 127.0.0.1:6060. Empty: off."
  type        = string
  default     = ""

  validation {
    condition     = var.pprof_addr == "" || can(regex("^(127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}|\\[::1\\]):[0-9]{1,5}$", var.pprof_addr))
    error_message = "pprof_addr must be empty or a loopback host:port (127.x.x.x or [::1]): pprof must never face the internet."
  }
}

variable "max_connections" {
  description = "Player connections this host is sized for: drives LimitNOFILE, fs.nr_open, fs.file-max and the conntrack table."
  type        = number
  default     = 1000000

  validation {
    condition     = var.max_connections >= 1000 && var.max_connections <= 10000000 && floor(var.max_connections) == var.max_connections
    error_message = "max_connections must be an integer between 1000 and 10000000."
  }
}

variable "memory_mib" {
  description = "RAM of the host in MiB: net.ipv4.tcp_mem is derived from it (TCP may use up to 75% of it under pressure)."
  type        = number
  default     = 16384

  validation {
    condition     = var.memory_mib >= 1024 && floor(var.memory_mib) == var.memory_mib
    error_message = "memory_mib must be an integer of at least 1024."
  }
}

variable "io_uring" {
  description = "Allow io_uring: sets kernel.io_uring_disabled = 0 (where the kernel has it) and keeps the io_uring syscalls in the unit's seccomp filter. False also denies them and runs the netpoll transport."
  type        = bool
  default     = true
}

variable "transport" {
  description = "WebSocket transport (-transport): auto (io_uring where the kernel allows it, else netpoll, logged), uring or netpoll."
  type        = string
  default     = "auto"

  validation {
    condition     = contains(["auto", "uring", "netpoll"], var.transport)
    error_message = "transport must be auto, uring or netpoll."
  }
}

variable "rings" {
  description = "io_uring rings (-rings), each pinned to a CPU. Null: one per CPU."
  type        = number
  default     = null

  validation {
    condition     = var.rings == null || try(var.rings >= 1 && var.rings <= 512 && floor(var.rings) == var.rings, false)
    error_message = "rings must be an integer between 1 and 512."
  }
}

variable "binary_path" {
  description = "Absolute path of the veltrix-edge binary on the host."
  type        = string
  default     = "/usr/local/bin/veltrix-edge"

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
  description = "System user (and group) the edge runs as; cloud-init creates it."
  type        = string
  default     = "veltrix"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,30}$", var.service_user))
    error_message = "service_user must be a valid Linux user name (lower case, at most 31 characters)."
  }
}

variable "drain_delay_seconds" {
  description = "On SIGTERM, how long the edge answers /readyz with 503 while still serving its players (so the load balancer stops sending new ones) before it tells them to reconnect elsewhere; 0 skips it. Must leave 5 s of stop_timeout_seconds."
  type        = number
  default     = 0

  validation {
    condition     = var.drain_delay_seconds >= 0 && var.drain_delay_seconds <= 300 && floor(var.drain_delay_seconds) == var.drain_delay_seconds
    error_message = "drain_delay_seconds must be an integer between 0 and 300."
  }
}

variable "stop_timeout_seconds" {
  description = "How long systemd waits after SIGTERM (players told shutting_down, HTTP drained for up to 5 s) before SIGKILL."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout_seconds >= 10 && var.stop_timeout_seconds <= 600 && floor(var.stop_timeout_seconds) == var.stop_timeout_seconds
    error_message = "stop_timeout_seconds must be an integer between 10 and 600."
  }
}

variable "region_edges" {
  description = "Addresses (IP or DNS name) of every edge of this region, this one included, whose players share cells: the embedded NATS server listens for routes on nats_cluster_port and routes to each (-nats-cluster, -nats-routes). Empty: the edge's NATS server runs alone (one edge per region)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for h in var.region_edges : can(regex("^[A-Za-z0-9.-]+$", h))])
    error_message = "region_edges must be host names or IPv4 addresses, without ports."
  }
}

variable "nats_cluster_port" {
  description = "TCP port of the embedded NATS server's routes between the region's edges."
  type        = number
  default     = 6250

  validation {
    condition     = var.nats_cluster_port >= 1 && var.nats_cluster_port <= 65535 && floor(var.nats_cluster_port) == var.nats_cluster_port
    error_message = "nats_cluster_port must be a port number."
  }
}

variable "nats_url" {
  description = "An external NATS cluster the edges of the region share cells through (-nats), e.g. nats://nats.eu-west-1.internal:4222, instead of the embedded servers' routes. Empty: embedded."
  type        = string
  default     = ""

  validation {
    condition     = var.nats_url == "" || can(regex("^(nats|tls)://[^,\\s]+(,(nats|tls)://[^,\\s]+)*$", var.nats_url))
    error_message = "nats_url must be nats://host:port (several comma-separated)."
  }
}

variable "routing_regions" {
  description = "The routing table (-regions): each region's name, its players' entry point (ws: its load balancer's ws:// or wss:// URL; wt: an optional https:// WebTransport URL) and the coarse H3 cells (hex, resolution 0-5) it serves. GET /v1/route answers from it (a region's entry point is also its players' failover alternate) and a HELLO for a hunt homed in another region gets REDIRECT there. Empty: the edge answers with itself and its region's live edges."
  type = list(object({
    name  = string
    ws    = string
    wt    = optional(string, "")
    cells = optional(list(string), [])
  }))
  default = []

  validation {
    condition     = alltrue([for r in var.routing_regions : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", r.name))]) && length(distinct([for r in var.routing_regions : r.name])) == length(var.routing_regions)
    error_message = "routing_regions names must be distinct, 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."
  }
  validation {
    condition     = alltrue([for r in var.routing_regions : can(regex("^wss?://[^\\s;/@]+(/[^\\s;]*)?$", r.ws)) && (r.wt == "" || can(regex("^https://[^\\s;/@]+(/[^\\s;]*)?$", r.wt)))])
    error_message = "routing_regions ws must be a ws:// or wss:// URL and wt empty or an https:// URL, without spaces or ';'."
  }
  validation {
    condition     = alltrue(flatten([for r in var.routing_regions : [for c in r.cells : can(regex("^[0-9a-f]{15}$", c))]]))
    error_message = "routing_regions cells must be hexadecimal H3 cell indexes (15 digits, lower case)."
  }
}

variable "siblings" {
  description = "The other edges of this region (-siblings), by id and public URLs (ws:// or wss://, optional https:// WebTransport): when the edge shuts down (after drain_delay_seconds) its players are redirected to them, spread by player. Empty: they are told shutting_down and fail over by themselves."
  type = list(object({
    id = string
    ws = string
    wt = optional(string, "")
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.siblings : can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", s.id)) && can(regex("^wss?://[^\\s;/@]+(/[^\\s;]*)?$", s.ws)) && (s.wt == "" || can(regex("^https://[^\\s;/@]+(/[^\\s;]*)?$", s.wt)))])
    error_message = "siblings need an id of letters, digits, '.', '_' or '-', a ws:// or wss:// URL and an optional https:// URL, without spaces or ';'."
  }
}
