/// The result of a read running on another thread, handed over once the thread is joined.
/// (`Failure` is `Never` for work that cannot fail: its `get()` then needs no `try`.)
final class PendingRead<Value: Sendable, Failure: Error>: @unchecked Sendable {
    // Written once by the reading thread before `DispatchGroup.wait()` returns on the other: the group orders them.
    private var result: Result<Value, Failure>?
    func set(_ r: Result<Value, Failure>) { result = r }
    func get() throws(Failure) -> Value { try result!.get() }
    /// The value, no longer held here (so that the caller's copy is the only one and can change in place).
    func take() throws(Failure) -> Value {
        let r = result!
        result = nil
        return try r.get()
    }
}
