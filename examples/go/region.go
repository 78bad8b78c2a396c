package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Region is a small IaaS region in Go, loaded from a region JSON file (data/demo-region.json):
// Membership login, and per service GET one, GET list (search[field]=value, limit/page) and
// PATCH. Its Send method is a Transport.
type Region struct {
	mu          sync.Mutex
	credentials map[string]string
	services    map[string][]map[string]any
	token       string
	Requests    int
}

// LoadRegion reads a region file.
func LoadRegion(path string) (*Region, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, err
	}
	r := &Region{services: map[string][]map[string]any{}, token: "go-region-token"}
	for k, v := range data {
		if k == "credentials" {
			if err := json.Unmarshal(v, &r.credentials); err != nil {
				return nil, err
			}
			continue
		}
		var objs []map[string]any
		if err := json.Unmarshal(v, &objs); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		r.services[k] = objs
	}
	return r, nil
}

func reply(status int, v any) (int, map[string]string, []byte, error) {
	b, err := json.Marshal(v)
	return status, map[string]string{"Content-Type": "application/json"}, b, err
}

func (r *Region) find(service string, id float64) map[string]any {
	for _, o := range r.services[service] {
		if o["id"] == id {
			return o
		}
	}
	return nil
}

// As the API serialises objects: VMs and virtual routers carry their project, snapshots and
// backups their VM, servers their type.
var related = map[string][][2]string{
	"vm": {{"project", "project"}}, "virtual_router": {{"project", "project"}},
	"snapshot": {{"vm", "vm"}}, "backup": {{"vm", "vm"}}, "server": {{"type", "server_type"}},
}

func (r *Region) compose(service string, obj map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range obj {
		out[k] = v
	}
	for _, rel := range related[service] {
		if id, ok := obj[rel[0]+"_id"].(float64); ok {
			if o := r.find(rel[1], id); o != nil {
				out[rel[0]] = r.compose(rel[1], o)
			}
		}
	}
	return out
}

// Send answers one request of the library.
func (r *Region) Send(method, rawURL string, headers map[string]string, body []byte) (int, map[string]string, []byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Requests++
	u, err := url.Parse(rawURL)
	if err != nil {
		return 0, nil, nil, err
	}
	var seg []string
	for _, s := range strings.Split(u.Path, "/") {
		if s != "" {
			seg = append(seg, s)
		}
	}
	if strings.HasSuffix(u.Path, "/auth/login/") && method == "POST" {
		var creds map[string]string
		if json.Unmarshal(body, &creds) != nil || creds["email"] != r.credentials["email"] || creds["password"] != r.credentials["password"] {
			return reply(400, map[string]string{"detail": "Unable to log in with provided credentials."})
		}
		return reply(201, map[string]string{"token": r.token})
	}
	if headers["X-Auth-Token"] != r.token {
		return reply(401, map[string]string{"detail": "Authentication credentials were not provided."})
	}
	i := 0
	for i < len(seg) && seg[i] != "iaas" {
		i++
	}
	rest := seg[min(i+1, len(seg)):]
	if len(rest) == 0 || r.services[rest[0]] == nil {
		return reply(404, map[string]string{"detail": "Not found."})
	}
	if len(rest) == 1 && method == "GET" {
		return r.list(rest[0], u.Query())
	}
	id, err := strconv.Atoi(rest[len(rest)-1])
	obj := r.find(rest[0], float64(id))
	if len(rest) != 2 || err != nil || obj == nil {
		return reply(404, map[string]string{"detail": "Not found."})
	}
	switch method {
	case "GET":
		return reply(200, map[string]any{"content": r.compose(rest[0], obj)})
	case "PATCH":
		var changes map[string]any
		if err := json.Unmarshal(body, &changes); err != nil {
			return reply(400, map[string]string{"detail": "JSON parse error"})
		}
		for k, v := range changes {
			obj[k] = v
		}
		return reply(200, map[string]any{"content": r.compose(rest[0], obj)})
	}
	return reply(405, map[string]string{"detail": "Method " + method + " not allowed."})
}

func (r *Region) list(service string, q url.Values) (int, map[string]string, []byte, error) {
	found := []map[string]any{}
	for _, o := range r.services[service] {
		keep := true
		for k, vs := range q {
			if strings.HasPrefix(k, "search[") && strings.HasSuffix(k, "]") {
				field := strings.Split(k[7:len(k)-1], "__")[0]
				if !strings.EqualFold(fmt.Sprint(o[field]), vs[0]) {
					keep = false
				}
			}
		}
		if keep {
			found = append(found, o)
		}
	}
	limit, page := 50, 0
	if v, err := strconv.Atoi(q.Get("limit")); err == nil && v > 0 {
		limit = v
	}
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v >= 0 {
		page = v
	}
	lo, hi := min(page*limit, len(found)), min((page+1)*limit, len(found))
	return reply(200, map[string]any{"content": found[lo:hi],
		"_metadata": map[string]any{"page": page, "limit": limit, "total_records": len(found)}})
}

// State is an object's state in the Go region.
func (r *Region) State(service string, id int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o := r.find(service, float64(id)); o != nil {
		if s, ok := o["state"].(float64); ok {
			return int(s)
		}
	}
	return -1
}

// Credentials of the region (email, password, api_key).
func (r *Region) Credentials() map[string]string { return r.credentials }

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
