package main

import (
	"errors"
	"os"
	"strings"
	"testing"
)

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
	if _, err := NewContext(Options{IaasURL: "https://iaas.example.com/"}); !errors.As(err, &e) || e.Name != "CCX_EUNSUPPORTED" {
		t.Fatalf("error %v", err)
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
