module cloudcix_drivers/examples/go

go 1.19
