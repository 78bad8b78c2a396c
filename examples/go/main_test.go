package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// simulator is cloudcix-iaas-sim ($CCX_SIM) over HTTPS on a free loopback port with a throw-away
// CA made by openssl; t.Cleanup stops it and removes its folder, whatever the test's result.
type simulator struct {
	dir, ca, iaasURL, membershipURL string
}

func startSimulator(t *testing.T) *simulator {
	t.Helper()
	dir := t.TempDir()
	s := &simulator{dir: dir, ca: filepath.Join(dir, "ca.pem")}
	if err := os.WriteFile(filepath.Join(dir, "server.ext"), []byte("subjectAltName=IP:127.0.0.1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=ccx go test CA"},
		{"req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"},
		{"x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
			"-days", "1", "-extfile", "server.ext"},
	} {
		cmd := exec.Command("openssl", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	portFile := filepath.Join(dir, "port")
	log, err := os.Create(filepath.Join(dir, "sim.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Getenv("CCX_SIM"), "--port", "0", "--port-file", portFile,
		"--cert", filepath.Join(dir, "server.pem"), "--key", filepath.Join(dir, "server.key"))
	cmd.Stderr = log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // dies with this test process
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		log.Close()
	})
	port := 0
	for deadline := time.Now().Add(10 * time.Second); port == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if text, err := os.ReadFile(portFile); err == nil {
			port, _ = strconv.Atoi(strings.TrimSpace(string(text)))
		}
	}
	if port == 0 {
		t.Fatalf("the simulator did not start")
	}
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	s.iaasURL, s.membershipURL = base+"/iaas/", base+"/membership/"
	return s
}

func (s *simulator) requestLog(t *testing.T) string {
	text, err := os.ReadFile(filepath.Join(s.dir, "sim.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(text)
}

// simulatorOptions: the simulator's URLs and the credentials of the region it serves.
func simulatorOptions(t *testing.T, s *simulator) Options {
	c := region(t).Credentials()
	return Options{IaasURL: s.iaasURL, MembershipURL: s.membershipURL, Username: c["email"], Password: c["password"],
		APIKey: c["api_key"], Hosts: "recording"}
}

func region(t *testing.T) *Region {
	r, err := LoadRegion(os.Getenv("CCX_REGION"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func goContext(t *testing.T, r *Region, transport Transport) *Context {
	c := r.Credentials()
	ctx, err := NewContext(Options{IaasURL: "http://go.invalid/iaas/", MembershipURL: "http://go.invalid/membership/",
		Username: c["email"], Password: c["password"], APIKey: c["api_key"], Hosts: "recording", Transport: transport})
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

func TestAVmBuildOnTheEmbeddedDemoRegionSucceeds(t *testing.T) {
	ctx, err := NewContext(Options{Hosts: "recording"})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	o, err := ctx.Run("vm_kvm", "build", 1501)
	if err != nil || o.Status != "succeeded" || *o.StateBefore != 1 || *o.StateAfter != 4 {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
	if s, err := ctx.RegionState("vm", 1501); err != nil || s != 4 {
		t.Fatalf("region state %d, error %v", s, err)
	}
}

func TestAVmBuildThroughTheGoTransportMovesTheGoRegion(t *testing.T) {
	r := region(t)
	ctx := goContext(t, r, r.Send)
	defer ctx.Close()
	o, err := ctx.Run("vm_kvm", "build", 1501)
	if err != nil || o.Status != "succeeded" {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
	if r.State("vm", 1501) != 4 || r.Requests < 4 {
		t.Fatalf("go region: state %d after %d requests", r.State("vm", 1501), r.Requests)
	}
}

func TestAVmBuildThroughTheBuiltInHttpsTransportRunsAgainstTheSimulator(t *testing.T) {
	sim := startSimulator(t)
	opts := simulatorOptions(t, sim)
	opts.CAFile = sim.ca
	opts.Lock = "memory" // a Jerry lock
	ctx, err := NewContext(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	o, err := ctx.Run("vm_kvm", "build", 1501)
	if err != nil || o.Status != "succeeded" || *o.StateBefore != 1 || *o.StateAfter != 4 {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
	if !strings.Contains(sim.requestLog(t), "PATCH /iaas/vm/1501/ -> 200") {
		t.Fatalf("the simulator saw no PATCH:\n%s", sim.requestLog(t))
	}
	if o, err = ctx.Run("vm_kvm", "build", 1501); err != nil || o.Status != "skipped" {
		t.Fatalf("second run: outcome %+v, error %v", o, err)
	}
	metrics, err := ctx.MetricsText()
	if err != nil || !strings.Contains(metrics, `ccx_tasks_total{driver="vm_kvm",verb="build",outcome="succeeded"} 1`) {
		t.Fatalf("metrics %q, error %v", metrics, err)
	}
}

func TestAVmBuildThroughTheGoNetHttpTransportRunsAgainstTheSimulator(t *testing.T) {
	sim := startSimulator(t)
	sender, err := NewNetHTTP(sim.ca)
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	opts := simulatorOptions(t, sim)
	opts.Transport = sender.Send
	ctx, err := NewContext(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	o, err := ctx.Run("vm_kvm", "build", 1501)
	if err != nil || o.Status != "succeeded" || *o.StateAfter != 4 {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
	if sender.Requests.Load() < 4 || !strings.Contains(sim.requestLog(t), "PATCH /iaas/vm/1501/ -> 200") {
		t.Fatalf("%d request(s) sent; simulator log:\n%s", sender.Requests.Load(), sim.requestLog(t))
	}
}

func TestTheExampleProgramRunsAgainstTheSimulatorBothWays(t *testing.T) {
	c := region(t).Credentials()
	t.Setenv("CLOUDCIX_API_USERNAME", c["email"])
	t.Setenv("CLOUDCIX_API_PASSWORD", c["password"])
	t.Setenv("CLOUDCIX_API_KEY", c["api_key"])
	for _, mode := range [][]string{nil, {"-go-http"}} {
		sim := startSimulator(t)
		args := append(append([]string{}, mode...), "-iaas-url", sim.iaasURL, "-membership-url", sim.membershipURL,
			"-ca-file", sim.ca, "vm_kvm", "build", "1501")
		if rc := run(args); rc != 0 {
			t.Fatalf("run_verb %v: exit %d; simulator log:\n%s", args, rc, sim.requestLog(t))
		}
	}
}

func TestAGoTransportErrorBecomesALoginErrorWithItsText(t *testing.T) {
	ctx := goContext(t, region(t), func(string, string, map[string]string, []byte) (int, map[string]string, []byte, error) {
		return 0, nil, nil, errors.New("the go network is down")
	})
	defer ctx.Close()
	o, err := ctx.Run("vm_kvm", "build", 1501)
	if err != nil || o.Status != "rejected" || o.Errors[0].Code != "vm_kvm_build_0008" ||
		!strings.Contains(o.Errors[0].Message, "the go network is down") {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
}

func TestAGoTransportThatPanicsOrAnswersGarbageGivesClear0xxxErrors(t *testing.T) {
	r := region(t)
	garbage := func(m, u string, h map[string]string, b []byte) (int, map[string]string, []byte, error) {
		if strings.HasSuffix(u, "auth/login/") {
			return r.Send(m, u, h, b)
		}
		return 200, nil, []byte("not json at all"), nil
	}
	ctx := goContext(t, r, garbage)
	o, err := ctx.Run("vm_kvm", "build", 1501)
	ctx.Close()
	if err != nil || o.Errors[0].Code != "vm_kvm_build_0003" {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
	ctx = goContext(t, r, func(string, string, map[string]string, []byte) (int, map[string]string, []byte, error) {
		panic("a bug in the go transport")
	})
	defer ctx.Close()
	o, err = ctx.Run("vm_kvm", "build", 1501)
	if err != nil || o.Errors[0].Code != "vm_kvm_build_0008" || !strings.Contains(o.Errors[0].Message, "panicked") {
		t.Fatalf("outcome %+v, error %v", o, err)
	}
}

func TestUnknownVerbsAndMissingBuiltInsAreErrorsWithCodes(t *testing.T) {
	ctx, err := NewContext(Options{Hosts: "recording"})
	if err != nil {
		t.Fatal(err)
	}
	defer ctx.Close()
	var e *Error
	if _, err := ctx.Run("vm_kvm", "bild", 1501); !errors.As(err, &e) || e.Name != "CCX_ENOTFOUND" {
		t.Fatalf("error %v", err)
	}
	// The built-in https transport needs both URLs; ill-formed lock stores are invalid, not unknown.
	if _, err := NewContext(Options{IaasURL: "https://iaas.example.com/"}); !errors.As(err, &e) || e.Name != "CCX_EINVALID" ||
		!strings.Contains(e.Message, "Membership URL") {
		t.Fatalf("error %v", err)
	}
	for store, name := range map[string]string{"shm:": "CCX_EINVALID", "redis://": "CCX_EINVALID", "zookeeper://x": "CCX_ENOTFOUND"} {
		if _, err := NewContext(Options{Hosts: "recording", Lock: store}); !errors.As(err, &e) || e.Name != name {
			t.Fatalf("lock %q: error %v, want %s", store, err, name)
		}
	}
}

func TestTheExampleProgramRunsBothWays(t *testing.T) {
	if rc := run([]string{"vm_kvm", "build", "1501"}); rc != 0 {
		t.Fatalf("built-in transport: exit %d", rc)
	}
	if rc := run([]string{"-go-region", os.Getenv("CCX_REGION"), "vm_kvm", "build", "1501"}); rc != 0 {
		t.Fatalf("go transport: exit %d", rc)
	}
}
