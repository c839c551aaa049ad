variable "name" {
  description = "Name prefix of every resource, e.g. veltrix."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 characters of lower-case letters, digits and dashes."
  }
}

variable "voters" {
  description = "Placement of each voter by id: its fixed private IP (the address given to the coordinator-cluster module), subnet and that subnet's availability zone."
  type = map(object({
    private_ip        = string
    subnet_id         = string
    availability_zone = string
  }))

  validation {
    condition     = contains([3, 5], length(var.voters))
    error_message = "voters must place 3 or 5 coordinators."
  }
  validation {
    condition     = length(distinct([for v in values(var.voters) : v.availability_zone])) >= 3
    error_message = "Spread the voters over at least three availability zones, so one zone's loss keeps a quorum."
  }
}

variable "user_data" {
  description = "cloud-init user data per voter id: the coordinator-cluster module's user_data output."
  type        = map(string)
  sensitive   = true
}

variable "ports" {
  description = "The coordinator-cluster module's ports output: {raft, api}."
  type = object({
    raft = number
    api  = number
  })
}

variable "vpc_id" {
  description = "VPC of the coordinators."
  type        = string
}

variable "api_ingress_cidrs" {
  description = "IPv4 ranges allowed to the API port: the edges of every region (peered VPCs) and operators."
  type        = list(string)

  validation {
    condition     = alltrue([for c in var.api_ingress_cidrs : can(cidrhost(c, 0))]) && !contains(var.api_ingress_cidrs, "0.0.0.0/0")
    error_message = "api_ingress_cidrs must be IPv4 CIDR blocks, and never 0.0.0.0/0: the admin API must not face the internet."
  }
}

variable "ami_id" {
  description = "Image of the coordinator instances (systemd, cloud-init; the binary baked in unless the module downloads a release)."
  type        = string
}

variable "instance_type" {
  description = "Instance type of a voter."
  type        = string
  default     = "m7i.large"
}

variable "data_volume" {
  description = "The encrypted raft data volume of each voter: size, gp3 IOPS and throughput, and a KMS key (null: the account's EBS default key)."
  type = object({
    size_gb         = optional(number, 100)
    iops            = optional(number, 6000)
    throughput_mibs = optional(number, 250)
    kms_key_id      = optional(string)
  })
  default = {}

  validation {
    condition     = var.data_volume.size_gb >= 10 && var.data_volume.iops >= 3000 && var.data_volume.throughput_mibs >= 125
    error_message = "data_volume needs at least 10 GB, 3000 IOPS and 125 MiB/s (gp3 minimums)."
  }
}

variable "instance_profile" {
  description = "IAM instance profile name for the voters; null for none."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
