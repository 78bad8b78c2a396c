// run_verb: runs one cloudcix_drivers verb from Go through the C API.
//
//	run_verb [-iaas-url URL -membership-url URL [-ca-file PEM]] DRIVER VERB ID
//	    the library's built-in transport: the embedded demo region without a URL, its https
//	    transport with one (e.g. the IaaS simulator, examples/sim)
//	run_verb -go-http -iaas-url URL -membership-url URL [-ca-file PEM] DRIVER VERB ID
//	    a transport written in Go (net/http) sends the library's HTTP requests to those URLs
//	run_verb -go-region REGION.json DRIVER VERB ID
//	    a transport written in Go answers the library's HTTP requests from a region loaded
//	    from REGION.json (e.g. data/demo-region.json)
//
// With a URL, the API credentials come from CLOUDCIX_API_USERNAME, _PASSWORD and _KEY.
// Prints the Outcome as JSON; exits with its status (0 succeeded, 1 failed, 2 rejected,
// 3 skipped, 4 postponed), or 2 when the library refused the request.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

var statusCodes = map[string]int{"succeeded": 0, "failed": 1, "rejected": 2, "skipped": 3, "postponed": 4}

func serviceOf(driver string) string {
	for _, p := range []string{"virtual_router", "vm", "snapshot", "backup", "ceph"} {
		if strings.HasPrefix(driver, p) {
			return p
		}
	}
	return driver
}

func run(args []string) int {
	fs := flag.NewFlagSet("run_verb", flag.ContinueOnError)
	iaasURL := fs.String("iaas-url", os.Getenv("CLOUDCIX_IAAS_URL"), "IaaS API root (none: the embedded demo region)")
	membershipURL := fs.String("membership-url", os.Getenv("CLOUDCIX_MEMBERSHIP_URL"), "Membership API root")
	goRegion := fs.String("go-region", "", "serve the API from this region JSON file, in Go")
	goHTTP := fs.Bool("go-http", false, "send the requests with Go's net/http")
	caFile := fs.String("ca-file", "", "CA certificates (PEM) to trust for https URLs")
	hosts := fs.String("hosts", "recording", "built-in hosts: recording, dry-run")
	if err := fs.Parse(args); err != nil || fs.NArg() != 3 {
		fmt.Fprintln(os.Stderr, "usage: run_verb [-iaas-url URL -membership-url URL [-ca-file PEM] [-go-http]] [-go-region FILE] DRIVER VERB ID")
		return 2
	}
	driver, verb := fs.Arg(0), fs.Arg(1)
	id, err := strconv.ParseInt(fs.Arg(2), 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run_verb: ID must be an integer")
		return 2
	}
	fmt.Fprintf(os.Stderr, "cloudcix_drivers: %d verbs\n", VerbCount())

	opts := Options{IaasURL: *iaasURL, MembershipURL: *membershipURL, Hosts: *hosts, CAFile: *caFile,
		FromEnvironment: true}
	var region *Region
	var sender *NetHTTP
	if *goHTTP {
		if *iaasURL == "" {
			fmt.Fprintln(os.Stderr, "run_verb: -go-http needs -iaas-url and -membership-url")
			return 2
		}
		if sender, err = NewNetHTTP(*caFile); err != nil {
			fmt.Fprintln(os.Stderr, "run_verb:", err)
			return 2
		}
		defer sender.Close()
		opts.CAFile = ""
		opts.Transport = sender.Send
	}
	if *goRegion != "" {
		if region, err = LoadRegion(*goRegion); err != nil {
			fmt.Fprintln(os.Stderr, "run_verb:", err)
			return 2
		}
		c := region.Credentials()
		opts = Options{IaasURL: "http://go-region.invalid/iaas/", MembershipURL: "http://go-region.invalid/membership/",
			Username: c["email"], Password: c["password"], APIKey: c["api_key"], Hosts: *hosts, Transport: region.Send}
	}
	ctx, err := NewContext(opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run_verb:", err)
		return 2
	}
	defer ctx.Close()
	o, err := ctx.Run(driver, verb, id)
	if err != nil {
		fmt.Fprintln(os.Stderr, "run_verb:", err)
		return 2
	}
	out, _ := json.Marshal(o)
	fmt.Println(string(out))
	if region != nil {
		fmt.Fprintf(os.Stderr, "go region: %d request(s) answered; %s #%d state is now %d\n", region.Requests, driver, id,
			region.State(serviceOf(driver), id))
	} else if sender != nil {
		fmt.Fprintf(os.Stderr, "go net/http transport: %d request(s) sent\n", sender.Requests.Load())
	} else if *iaasURL == "" {
		s, _ := ctx.RegionState(serviceOf(driver), id)
		fmt.Fprintf(os.Stderr, "embedded demo region: state is now %d\n", s)
	}
	return statusCodes[o.Status]
}

func main() { os.Exit(run(os.Args[1:])) }
