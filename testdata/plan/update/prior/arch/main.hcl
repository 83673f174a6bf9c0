resource "file" "conf" {
  path    = "out/app.conf"
  content = "listen 80\nworkers 2\nlog info\n"
}
resource "terrace_data" "settings" {
  input = { size = "small", replicas = 1, name = "app" }
}
