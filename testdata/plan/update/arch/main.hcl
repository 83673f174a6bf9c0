resource "file" "conf" {
  path    = "out/app.conf"
  content = "listen 80\nworkers 4\nlog info\n"
}
resource "terrace_data" "settings" {
  input = { size = "large", replicas = 3, name = "app" }
}
