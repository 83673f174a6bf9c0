resource "terrace_data" "a" {
  input = "x"
}

resource "terrace_data" "k" {
  count = 2
  input = count.index
}

resource "terrace_data" "gone" {
  input = "g"
}

resource "terrace_data" "old" {
  input = "o"
}

resource "terrace_data" "t" {
  input = "t"
  lifecycle {
    replace_triggered_by = [terrace_data.a.input]
  }
}
