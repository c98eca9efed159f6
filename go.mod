module github.com/faxd/faxd

go 1.26
