# The coordinator voters: one instance per voter on a network interface with
# a fixed private IP (its stable raft address), and a separate encrypted EBS
# volume for the raft data that outlives the instance. Raft is open only
# between voters; the API to the given ranges.

resource "aws_security_group" "coordinator" {
  name_prefix = "${var.name}-coordinator-"
  description = "Veltrix coordinators: raft between voters, API to edges and operators"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "raft" {
  security_group_id            = aws_security_group.coordinator.id
  description                  = "raft between voters"
  referenced_security_group_id = aws_security_group.coordinator.id
  ip_protocol                  = "tcp"
  from_port                    = var.ports.raft
  to_port                      = var.ports.raft
}

resource "aws_vpc_security_group_ingress_rule" "api_between_voters" {
  security_group_id            = aws_security_group.coordinator.id
  description                  = "API between voters (writes forwarded to the leader, joins)"
  referenced_security_group_id = aws_security_group.coordinator.id
  ip_protocol                  = "tcp"
  from_port                    = var.ports.api
  to_port                      = var.ports.api
}

resource "aws_vpc_security_group_ingress_rule" "api" {
  for_each = toset(var.api_ingress_cidrs)

  security_group_id = aws_security_group.coordinator.id
  description       = "API: edges and operators"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.ports.api
  to_port           = var.ports.api
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.coordinator.id
  description       = "peers, packages, time"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_network_interface" "voter" {
  for_each = var.voters

  subnet_id       = each.value.subnet_id
  private_ips     = [each.value.private_ip]
  security_groups = [aws_security_group.coordinator.id]
  tags            = merge(var.tags, { Name = "${var.name}-coordinator-${each.key}" })
}

resource "aws_ebs_volume" "data" {
  for_each = var.voters

  availability_zone = each.value.availability_zone
  size              = var.data_volume.size_gb
  type              = "gp3"
  iops              = var.data_volume.iops
  throughput        = var.data_volume.throughput_mibs
  encrypted         = true
  kms_key_id        = var.data_volume.kms_key_id
  tags              = merge(var.tags, { Name = "${var.name}-coordinator-${each.key}-data" })
}

resource "aws_instance" "voter" {
  for_each = var.voters

  ami                  = var.ami_id
  instance_type        = var.instance_type
  user_data_base64     = base64encode(var.user_data[each.key])
  iam_instance_profile = var.instance_profile

  network_interface {
    network_interface_id = aws_network_interface.voter[each.key].id
    device_index         = 0
  }

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_size = 20
    volume_type = "gp3"
    encrypted   = true
  }

  tags = merge(var.tags, { Name = "${var.name}-coordinator-${each.key}" })

  # Upgrades and configuration changes roll one voter at a time by hand
  # (docs/operations.md), never by Terraform replacing every voter at once.
  lifecycle {
    ignore_changes = [ami, user_data_base64]
  }
}

resource "aws_volume_attachment" "data" {
  for_each = var.voters

  device_name                    = "/dev/sdf"
  volume_id                      = aws_ebs_volume.data[each.key].id
  instance_id                    = aws_instance.voter[each.key].id
  stop_instance_before_detaching = true
}
