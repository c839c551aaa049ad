module github.com/veltrix/veltrix

go 1.26

require github.com/uber/h3-go/v4 v4.5.0 // indirect
