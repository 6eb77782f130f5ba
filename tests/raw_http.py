"""HTTP/1.1 spoken by hand over one socket, for what client libraries hide:
whether an answer says ``Connection: close``, whether the connection then
serves another request, pipelining, malformed framing."""

import dataclasses
import json
import socket

TIMEOUT = 10.0


@dataclasses.dataclass
class Response:
    status: int
    headers: dict[str, str]  # names lowercased; a repeated header keeps its last value
    body: bytes

    @property
    def closes(self) -> bool:
        """Whether the server said it will close the connection after this answer."""
        return "close" in self.headers.get("connection", "").lower()

    def json(self):
        return json.loads(self.body)


def request(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> bytes:
    """The bytes of one request; ``Content-Length`` is added for a body."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    all_headers = dict(headers or {})
    if body:
        all_headers.setdefault("Content-Length", str(len(body)))
    lines += [f"{name}: {value}" for name, value in all_headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class Connection:
    """One keep-alive connection: ``send`` bytes, ``read`` one answer."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self._buffer = b""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def exchange(self, data: bytes) -> Response:
        self.send(data)
        return self.read()

    def read(self) -> Response:
        """The next answer; ConnectionError if the server closed the
        connection first."""
        head = self._until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status in (204, 304) or 100 <= status < 200:
            return Response(status, headers, b"")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while size := int(self._until(b"\r\n"), 16):
                body += self._exactly(size + 2)[:-2]
            self._until(b"\r\n")
        elif "content-length" in headers:
            body = self._exactly(int(headers["content-length"]))
        else:
            body = self.read_to_end()
        return Response(status, headers, body)

    def closed_by_server(self) -> bool:
        """Whether the server has closed its side (waits up to the timeout)."""
        if self._buffer:
            return False
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def read_to_end(self) -> bytes:
        data, self._buffer = self._buffer, b""
        try:
            while chunk := self.sock.recv(65536):
                data += chunk
        except ConnectionResetError:
            pass
        return data

    def _fill(self) -> None:
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionError(f"the server closed the connection; unread: {self._buffer!r}")
        self._buffer += chunk

    def _until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            self._fill()
        found, _, self._buffer = self._buffer.partition(marker)
        return found

    def _exactly(self, size: int) -> bytes:
        while len(self._buffer) < size:
            self._fill()
        found, self._buffer = self._buffer[:size], self._buffer[size:]
        return found
