package network

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"

	"github.com/kubesim/kubesim/sim/kubelet/images"
)

// Response is an HTTP server's answer.
type Response struct {
	Status int
	// StatusText is the status line's text ("OK", "Not Found").
	StatusText string
	Server     string // the Server header, "" for none
	Type       string // Content-Type
	Body       string
	// Location is a redirect's target.
	Location string
}

func nginxError(code int) string {
	t := http.StatusText(code)
	return "<html>\r\n<head><title>" + strconv.Itoa(code) + " " + t + "</title></head>\r\n<body>\r\n<center><h1>" +
		strconv.Itoa(code) + " " + t + "</h1></center>\r\n<hr><center>nginx/1.27.5</center>\r\n</body>\r\n</html>\r\n"
}

func resp(code int, server, typ, body string) Response {
	return Response{Status: code, StatusText: http.StatusText(code), Server: server, Type: typ, Body: body}
}

// Get is the server's answer to GET path (host is the Host header).
// Non-HTTP listeners return status 0: the connection is closed without an
// HTTP answer.
func (s Server) Get(urlPath, host string) Response {
	if !s.HTTP {
		return Response{}
	}
	p := requestPath(urlPath)
	if s.Pod == nil {
		if s.Port == 443 {
			return externalGet(s.App+":443", p)
		}
		return externalGet(s.App, p)
	}
	hostname := ""
	if s.Pod != nil {
		hostname = s.Pod.Name
		if s.Pod.Spec.Hostname != "" {
			hostname = s.Pod.Spec.Hostname
		}
	}
	switch s.App {
	case "nginx", "ingress-nginx":
		if p == "/" || p == "/index.html" {
			return resp(200, "nginx/1.27.5", "text/html", images.NginxIndex)
		}
		return resp(404, "nginx/1.27.5", "text/html", nginxError(404))
	case "httpd":
		if p == "/" || p == "/index.html" {
			return resp(200, "Apache/2.4.63 (Unix)", "text/html", "<html><body><h1>It works!</h1></body></html>\n")
		}
		return resp(404, "Apache/2.4.63 (Unix)", "text/html; charset=iso-8859-1",
			"<!DOCTYPE HTML PUBLIC \"-//IETF//DTD HTML 2.0//EN\">\n<html><head>\n<title>404 Not Found</title>\n</head><body>\n<h1>Not Found</h1>\n<p>The requested URL was not found on this server.</p>\n</body></html>\n")
	case "http-echo":
		return resp(200, "", "text/plain; charset=utf-8", s.Text+"\n")
	case "agnhost-serve-hostname":
		return resp(200, "", "text/plain; charset=utf-8", hostname)
	case "agnhost-netexec":
		if p == "/hostname" {
			return resp(200, "", "text/plain; charset=utf-8", hostname)
		}
		if p == "/healthz" || p == "/readyz" {
			return resp(200, "", "text/plain; charset=utf-8", "")
		}
		if p == "/" || p == "/echo" {
			return resp(200, "", "text/plain; charset=utf-8", "")
		}
		return resp(404, "", "text/plain; charset=utf-8", "404 page not found\n")
	case "hello-app":
		return resp(200, "", "text/plain; charset=utf-8", "Hello, world!\nVersion: 1.0.0\nHostname: "+hostname+"\n")
	case "coredns-health":
		if p == "/health" {
			return resp(200, "", "text/plain; charset=utf-8", "OK")
		}
		return resp(404, "", "text/plain; charset=utf-8", "404 page not found\n")
	case "coredns-ready":
		if p == "/ready" {
			return resp(200, "", "text/plain; charset=utf-8", "OK")
		}
		return resp(404, "", "text/plain; charset=utf-8", "404 page not found\n")
	case "busybox-httpd", "python-http.server":
		if p == "/" {
			return resp(404, "", "text/html", "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n")
		}
		return resp(404, "", "text/html", "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD>\n<BODY><H1>404 Not Found</H1>\nThe requested URL was not found\n</BODY></HTML>\n")
	}
	// An application the simulator does not model: it answers, with a
	// line naming the pod so load-balancing is visible.
	return resp(200, "", "text/plain; charset=utf-8", "Hello from "+hostname+"\n")
}

// exampleDomain is example.com's page (IANA's reserved example domain).
const exampleDomain = `<!doctype html><html lang="en"><head><title>Example Domain</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>body{background:#eee;width:60vw;margin:15vh auto;font-family:system-ui,sans-serif}h1{font-size:1.5em}div{opacity:0.8}a:link,a:visited{color:#348}</style><body><div><h1>Example Domain</h1><p>This domain is for use in documentation examples without needing permission. Avoid use in operations.<p><a href="https://iana.org/domains/example">Learn more</a></div></body></html>
`

// externalGet is the answer of a modelled internet host over plain
// HTTP: example.com serves its page, the others redirect to HTTPS (or
// to www, as google.com does).
func externalGet(host, urlPath string) Response {
	if strings.HasSuffix(host, ":443") {
		host = strings.TrimSuffix(host, ":443")
		return resp(200, "", "text/html; charset=utf-8", "<!doctype html><html><head><title>"+host+"</title></head><body></body></html>\n")
	}
	switch host {
	case "example.com", "www.example.com":
		return resp(200, "", "text/html", exampleDomain)
	case "google.com":
		r := resp(301, "gws", "text/html; charset=UTF-8", "<HTML><HEAD><meta http-equiv=\"content-type\" content=\"text/html;charset=utf-8\">\n<TITLE>301 Moved</TITLE></HEAD><BODY>\n<H1>301 Moved</H1>\nThe document has moved\n<A HREF=\"http://www.google.com"+urlPath+"\">here</A>.\r\n</BODY></HTML>\r\n")
		r.Location = "http://www.google.com" + urlPath
		return r
	}
	r := resp(301, "", "text/html", "")
	r.Location = "https://" + host + urlPath
	return r
}

// requestPath is the path a request for urlPath asks for: "/" for none,
// without the query or fragment.
func requestPath(urlPath string) string {
	p := cmp.Or(urlPath, "/")
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	return p
}
