# One region of edges: an autoscaling group of instances booted with the
# edge-node module's user data, behind a network load balancer that passes
# TCP (WebSocket) and UDP (WebTransport) on one port straight to the edges,
# which terminate TLS themselves. Health checks: the edges' /readyz.

resource "aws_security_group" "edge" {
  name_prefix = "${var.name}-edge-"
  description = "Veltrix edges: players over TCP (WebSocket) and UDP (WebTransport)"
  vpc_id      = var.vpc_id
  tags        = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "players" {
  for_each = { for pair in setproduct(var.ingress_cidrs, ["tcp", "udp"]) : "${pair[1]}-${pair[0]}" => pair }

  security_group_id = aws_security_group.edge.id
  description       = "players (${each.value[1]})"
  cidr_ipv4         = each.value[0]
  ip_protocol       = each.value[1]
  from_port         = var.port
  to_port           = var.port
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.edge.id
  description       = "coordinators, packages, time"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_launch_template" "edge" {
  name_prefix            = "${var.name}-edge-"
  image_id               = var.ami_id
  instance_type          = var.instance_type
  user_data              = base64encode(var.user_data)
  vpc_security_group_ids = [aws_security_group.edge.id]
  update_default_version = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  block_device_mappings {
    device_name = var.root_device_name
    ebs {
      volume_size           = 20
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  dynamic "iam_instance_profile" {
    for_each = var.instance_profile == null ? [] : [var.instance_profile]
    content {
      name = iam_instance_profile.value
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = merge(var.tags, { Name = "${var.name}-edge" })
  }

  tags = var.tags
}

resource "aws_lb" "edge" {
  name                             = "${var.name}-edge"
  load_balancer_type               = "network"
  internal                         = false
  subnets                          = var.lb_subnet_ids
  enable_cross_zone_load_balancing = true
  tags                             = var.tags
}

resource "aws_lb_target_group" "edge" {
  name_prefix          = "vxe-"
  port                 = var.port
  protocol             = "TCP_UDP"
  vpc_id               = var.vpc_id
  target_type          = "instance"
  deregistration_delay = var.deregistration_delay_seconds

  health_check {
    enabled             = true
    protocol            = var.health_check.protocol
    port                = tostring(var.health_check.port)
    path                = var.health_check.path
    matcher             = var.health_check.matcher
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_lb_listener" "edge" {
  load_balancer_arn = aws_lb.edge.arn
  port              = var.port
  protocol          = "TCP_UDP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.edge.arn
  }

  tags = var.tags
}

resource "aws_autoscaling_group" "edge" {
  name_prefix               = "${var.name}-edge-"
  vpc_zone_identifier       = var.subnet_ids
  min_size                  = var.capacity.min
  desired_capacity          = var.capacity.desired
  max_size                  = var.capacity.max
  target_group_arns         = [aws_lb_target_group.edge.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 120

  launch_template {
    id      = aws_launch_template.edge.id
    version = aws_launch_template.edge.latest_version
  }

  # A new launch template version (new user data or image) replaces edges a
  # few at a time; each old one is deregistered (drained) before it stops.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 90
      instance_warmup        = 60
    }
  }

  dynamic "tag" {
    for_each = merge(var.tags, { Name = "${var.name}-edge" })
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }
}
