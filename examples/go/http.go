package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// NetHTTP sends the library's HTTP requests with Go's net/http (HTTPS verified against a CA
// file, else the system store). Its Send method is a Transport.
type NetHTTP struct {
	client   *http.Client
	Requests atomic.Int64
}

// NewNetHTTP trusts the PEM certificates in caFile ("" for the system store).
func NewNetHTTP(caFile string) (*NetHTTP, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
		tlsConfig.RootCAs = pool
	}
	transport := &http.Transport{TLSClientConfig: tlsConfig, MaxIdleConnsPerHost: 4}
	return &NetHTTP{client: &http.Client{Transport: transport, Timeout: 30 * time.Second}}, nil
}

var hopByHop = map[string]bool{"host": true, "content-length": true, "connection": true, "transfer-encoding": true}

// Send is a Transport: an HTTP error status is an answer; no answer at all is an error.
func (n *NetHTTP) Send(method, url string, headers map[string]string, body []byte) (int, map[string]string, []byte, error) {
	n.Requests.Add(1)
	var reader io.Reader
	if len(body) > 0 {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, url, reader)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range headers {
		if !hopByHop[strings.ToLower(k)] {
			req.Header.Set(k, v)
		}
	}
	resp, err := n.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	respHeaders := map[string]string{}
	for k, v := range resp.Header {
		if !hopByHop[strings.ToLower(k)] {
			respHeaders[k] = strings.Join(v, ", ")
		}
	}
	return resp.StatusCode, respHeaders, out, nil
}

// Close drops the idle connections.
func (n *NetHTTP) Close() { n.client.CloseIdleConnections() }
