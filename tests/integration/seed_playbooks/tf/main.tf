output "hello" { value = "world" }
