variable "name" {
  description = "Name prefix of every resource, e.g. veltrix-eu-west-1."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}$", var.name))
    error_message = "name must be 2-23 characters of lower-case letters, digits and dashes (load balancer names are short)."
  }
}

variable "user_data" {
  description = "cloud-init user data of every edge instance: the edge-node module's cloud_init output."
  type        = string
  sensitive   = true
}

variable "port" {
  description = "The edge port, TCP and UDP: the edge-node module's ports.tcp output."
  type        = number

  validation {
    condition     = var.port >= 1 && var.port <= 65535
    error_message = "port must be between 1 and 65535."
  }
}

variable "health_check" {
  description = "The edge-node module's health_check output: {protocol, port, path, matcher}."
  type = object({
    protocol = string
    port     = number
    path     = string
    matcher  = string
  })
}

variable "vpc_id" {
  description = "VPC of the region's edges."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets the edge instances run in, one per availability zone."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids must span at least two availability zones."
  }
}

variable "lb_subnet_ids" {
  description = "Public subnets of the network load balancer, one per availability zone."
  type        = list(string)

  validation {
    condition     = length(var.lb_subnet_ids) >= 2
    error_message = "lb_subnet_ids must span at least two availability zones."
  }
}

variable "ami_id" {
  description = "Image of the edge instances (systemd, cloud-init; the binary baked in unless the edge-node module downloads a release)."
  type        = string
}

variable "instance_type" {
  description = "Instance type: network-optimised, sized with docs/operations.md."
  type        = string
  default     = "c6in.4xlarge"
}

variable "capacity" {
  description = "Autoscaling group size."
  type = object({
    min     = number
    desired = number
    max     = number
  })
  default = { min = 2, desired = 2, max = 6 }

  validation {
    condition     = var.capacity.min >= 1 && var.capacity.min <= var.capacity.desired && var.capacity.desired <= var.capacity.max
    error_message = "capacity must satisfy 1 <= min <= desired <= max."
  }
}

variable "ingress_cidrs" {
  description = "IPv4 ranges players (and the load balancer's health checks) come from."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.ingress_cidrs : can(cidrhost(c, 0))])
    error_message = "ingress_cidrs must be IPv4 CIDR blocks."
  }
}

variable "deregistration_delay_seconds" {
  description = "Draining: how long a deregistered edge gets no new players before its instance is terminated (systemd then sends SIGTERM and the edge tells its players shutting_down, so they reconnect to another edge)."
  type        = number
  default     = 60

  validation {
    condition     = var.deregistration_delay_seconds >= 0 && var.deregistration_delay_seconds <= 3600
    error_message = "deregistration_delay_seconds must be between 0 and 3600."
  }
}

variable "root_device_name" {
  description = "Root device name of the image (/dev/xvda for Amazon Linux, /dev/sda1 for Ubuntu)."
  type        = string
  default     = "/dev/xvda"
}

variable "instance_profile" {
  description = "IAM instance profile name for the edges (e.g. to fetch certificates); null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
