/// The places, within one window, of the numbered keys its panes hold: a key's place is the order in
/// which the window first met it. Kept from window to window and cleared after each, so a window
/// costs only the keys it meets (HOP windows merge their panes' groups by key number this way).
struct WindowSlots {
    /// The key numbers met in this window, in the order of their places.
    private(set) var order: [Int] = []
    /// Each key number's place in this window, or -1.
    private var places: [Int]

    init(keyCount: Int) {
        places = [Int](repeating: -1, count: keyCount)
    }

    /// The place of key `number` in this window, and whether the window had not met it before.
    @inline(__always)
    mutating func place(of number: Int) -> (place: Int, isNew: Bool) {
        let place = places[number]
        if place >= 0 { return (place, false) }
        places[number] = order.count
        order.append(number)
        return (order.count - 1, true)
    }

    /// Forgets this window's keys, for the next window.
    mutating func clear() {
        for number in order { places[number] = -1 }
        order.removeAll(keepingCapacity: true)
    }
}
