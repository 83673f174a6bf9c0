resource "terrace_data" "a" {
  input = 1
  lifecycle {
    replace_triggered_by = [var.x] # ERROR: replace_triggered_by entries must be references to resources
  }
}
moved { # ERROR: this moves terrace_data.z to the same address
  from = terrace_data.z
  to   = terrace_data.z
}
moved {
  from = terrace_data.y
  to   = file.y # ERROR: the resource types differ
}
moved {
  from = data.file.x # ERROR: data sources hold no objects to move
  to   = terrace_data.w
}
moved { # ERROR: a moved block needs from and to
  from = terrace_data.v
}
removed {
  from = terrace_data.u[1] # ERROR: a removed block names a whole resource, not one instance
}
removed {
  from = "terrace_data.t" # ERROR: not a resource address
}
resource "terrace_data" "c" {
  lifecycle {
    precondition { # ERROR: a precondition block needs condition and error_message
      condition = true
    }
  }
}
output "o" {
  value = 1
  postcondition { # ERROR: unexpected block "postcondition"
    condition     = true
    error_message = "x"
  }
}
check "empty" { # ERROR: check "empty" has no assert block
}
check "scoped" {
  data "file" "x" { # ERROR: a data block inside a check block is not supported
    path = "x"
  }
  assert {
    condition     = true
    error_message = "x"
  }
}
