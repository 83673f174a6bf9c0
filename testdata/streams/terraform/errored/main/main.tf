resource "terraform_data" "ok" {
  input = "ok"
}
resource "terraform_data" "bad" {
  input = "bad"
  provisioner "local-exec" {
    command = "exit 3"
  }
}
