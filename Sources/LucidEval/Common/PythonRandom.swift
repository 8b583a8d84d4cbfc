import Foundation

/// CPython's `random.Random` (MT19937) for the calls POPE's builder makes: `seed(int)`,
/// `getrandbits`, `choice` and `sample`, bit-for-bit.
///
/// With the same seed and the same input order, POPE questions built here equal those of
/// `random.seed(seed)` followed by POPE's `main.py` (checked against the real code by
/// `scripts/make_pope_oracle.py`).
struct PythonRandom: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// `random.seed(seed)` for a non-negative integer seed (Python uses `abs(seed)`).
    init(seed: UInt64) {
        var key: [UInt32] = []
        var rest = seed
        while rest > 0 {
            key.append(UInt32(truncatingIfNeeded: rest))
            rest >>= 32
        }
        if key.isEmpty { key = [0] }
        initByArray(key)
    }

    private mutating func initGenrand(_ seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        index = 624
    }

    private mutating func initByArray(_ key: [UInt32]) {
        initGenrand(19_650_218)
        var i = 1
        var j = 0
        for _ in 0..<max(624, key.count) {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1
            j += 1
            if i >= 624 { state[0] = state[623]; i = 1 }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            state[i] = (state[i] ^ ((state[i - 1] ^ (state[i - 1] >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 { state[0] = state[623]; i = 1 }
        }
        state[0] = 0x8000_0000
    }

    private mutating func twist() {
        for k in 0..<624 {
            let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7FFF_FFFF)
            state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }

    /// The next 32-bit output (`genrand_uint32`).
    mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `getrandbits(k)` for 0 ≤ k ≤ 64.
    mutating func getrandbits(_ k: Int) -> UInt64 {
        precondition((0...64).contains(k), "getrandbits supports 0…64 bits")
        if k == 0 { return 0 }
        if k <= 32 { return UInt64(nextUInt32() >> (32 - UInt32(k))) }
        let low = UInt64(nextUInt32())
        let high = UInt64(nextUInt32() >> (64 - UInt32(k)))
        return low | (high << 32)
    }

    /// `_randbelow(n)`: uniform in 0..<n by rejection on `n.bit_length()` bits (n > 0).
    mutating func randbelow(_ n: Int) -> Int {
        precondition(n > 0, "randbelow needs a positive bound")
        let bits = Int.bitWidth - n.leadingZeroBitCount
        var r = getrandbits(bits)
        while r >= UInt64(n) { r = getrandbits(bits) }
        return Int(r)
    }

    /// `choice(seq)`; nil for an empty sequence (Python raises `IndexError`).
    mutating func choice<T>(_ items: [T]) -> T? {
        guard !items.isEmpty else { return nil }
        return items[randbelow(items.count)]
    }

    /// `sample(population, k)` (CPython 3.11 algorithm: pool swap for small populations,
    /// rejection on a set of chosen indices for large ones); nil when k > population size.
    mutating func sample<T>(_ population: [T], _ k: Int) -> [T]? {
        let n = population.count
        guard k >= 0, k <= n else { return nil }
        var setsize = 21
        if k > 5 {
            setsize += Int(pow(4.0, ceil(log(Double(k * 3)) / log(4.0))))
        }
        var result: [T] = []
        result.reserveCapacity(k)
        if n <= setsize {
            var pool = population
            for i in 0..<k {
                let j = randbelow(n - i)
                result.append(pool[j])
                pool[j] = pool[n - i - 1]
            }
        } else {
            var selected = Set<Int>()
            for _ in 0..<k {
                var j = randbelow(n)
                while selected.contains(j) { j = randbelow(n) }
                selected.insert(j)
                result.append(population[j])
            }
        }
        return result
    }
}
