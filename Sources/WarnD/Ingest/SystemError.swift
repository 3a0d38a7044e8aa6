import Glibc

/// A failed system call: which call, on what, and the errno, so a log line says what to fix.
struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    var call: String
    var path: String
    var code: Int32

    init(_ call: String, _ path: String, code: Int32 = errno) {
        self.call = call
        self.path = path
        self.code = code
    }

    var message: String { String(cString: strerror(code)) }

    var description: String { "\(call) \(path): \(message)" }
}
