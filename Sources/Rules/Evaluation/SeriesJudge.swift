import Foundation

/// Applies one rule to one series "as of" a period: the semantics of each rule kind (see `docs/rules.md`).
///
/// It keeps only the plan's years and the indicator's bounds, not the whole plan and indicator: the judge is copied
/// into a closure per series, and copying a `Plan` retained a dozen strings and arrays each time. One judge serves
/// one unit of work on one thread: it remembers what depends only on the rule (``IntervalQuantiles``).
struct SeriesJudge {
    let rule: Rule
    let plan: Years
    let indicator: Bounds
    let time: EvaluationTime
    /// A linear `forecast` rule's interval quantiles; `nil` for every other rule.
    let intervalQuantiles: IntervalQuantiles?
    /// Whether outcomes carry the points they used (``Evaluator/Retention/keepsPoints``).
    let keepsPoints: Bool

    struct Years: Sendable {
        var baselineYear: Int
        var targetYear: Int
    }

    struct Bounds: Sendable {
        var bounds: ClosedRange<Double>?
        func clamp(_ value: Double) -> Double {
            guard let b = bounds else { return value }
            return min(max(value, b.lowerBound), b.upperBound)
        }
    }

    init(rule: Rule, plan: Plan, indicator: Indicator, time: EvaluationTime, keepsPoints: Bool = true) {
        self.rule = rule
        self.keepsPoints = keepsPoints
        self.plan = Years(baselineYear: plan.baselineYear, targetYear: plan.targetYear)
        self.indicator = Bounds(bounds: indicator.bounds)
        self.time = time
        if case .forecast(let p) = rule.kind, p.method == .linear {
            intervalQuantiles = IntervalQuantiles(level: p.level)
        } else {
            intervalQuantiles = nil
        }
    }

    /// Runs `find` as of the evaluation period and, when `for_periods` asks for it, as of each of the series'
    /// preceding periods: firing only when the condition held at all of the last N, pending when only lately.
    func withHysteresis(_ series: Series, _ find: (Series, Period?) -> Outcome) -> Outcome {
        var outcome = find(series, time.at)
        guard outcome.holds else { return outcome }
        let n = rule.forPeriods
        guard n > 1 else {
            outcome.state = .firing
            return outcome
        }
        let recent = series.asOf(time.at).suffix(n)
        var all = recent.count == n
        if all {
            for p in recent.dropLast() where !find(series, p.period).holds {
                all = false
                break
            }
        }
        outcome.state = all ? .firing : .pending
        return outcome
    }

    /// The condition of the kinds that look at one series.
    func judge(_ series: Series, asOf at: Period?) -> Outcome {
        switch rule.kind {
        case .breach: return breach(series, asOf: at)
        case .forecast(let p): return forecast(series, p, asOf: at)
        case .trajectory(let tolerance): return trajectory(series, tolerance: tolerance, asOf: at)
        case .fluctuation(let p): return fluctuation(series, p, asOf: at)
        case .direction(let p): return direction(series, p, asOf: at)
        case .gap(let p): return gap(series, p, asOf: at)
        case .stale(let p): return stale(series, p)
        }
    }

    private func baseValue(_ series: Series) -> Double? {
        guard let target = rule.target, case .relative(_, let baseYear) = target.value else { return nil }
        return series.value(at: .year(baseYear))
    }

    /// The absolute target for this series, or a note saying why there is none.
    private func resolvedTarget(_ series: Series, _ outcome: inout Outcome) -> (Target, Double)? {
        guard let target = rule.target else { return nil }
        guard let v = target.resolve(baseValue: baseValue(series)) else {
            if case .relative(_, let baseYear) = target.value {
                outcome.note = "no \(baseYear) value to resolve the relative target from"
            }
            return nil
        }
        outcome.targetValue = v
        return (target, v)
    }

    /// An outcome at the series' latest point as of `at`, or one noting that there is no data.
    private func latest(_ series: Series, asOf at: Period?) -> (Outcome, ArraySlice<Series.Point>, Series.Point?) {
        var o = Outcome(rule: rule, key: series.key)
        let pts = series.asOf(at)
        guard let last = pts.last else {
            o.note = "no data"
            return (o, pts, nil)
        }
        o.period = last.period
        o.value = last.value
        if keepsPoints { o.points = [last] }
        return (o, pts, last)
    }

    // MARK: breach

    func breach(_ series: Series, asOf at: Period?) -> Outcome {
        var (o, _, latest) = latest(series, asOf: at)
        guard let last = latest else { return o }
        guard let (target, tv) = resolvedTarget(series, &o) else { return o }
        let due = target.scope == .everyYear || last.period.year >= target.year
        o.holds = due && !target.isMet(by: last.value, target: tv)
        return o
    }

    // MARK: forecast

    func forecast(_ series: Series, _ p: ForecastParameters, asOf at: Period?) -> Outcome {
        var (o, all, latest) = latest(series, asOf: at)
        guard let last = latest else { return o }
        guard let (target, tv) = resolvedTarget(series, &o) else {
            var f = ForecastResult(method: p.method, year: rule.target?.year ?? plan.targetYear, status: .insufficientData)
            f.reason = o.note
            o.forecast = f
            return o
        }
        let T = target.year
        var f = ForecastResult(method: p.method, year: T, status: .insufficientData)
        f.level = p.method == .linear ? p.level : nil

        // Final outcome once the target year's value is in.
        if last.period.year >= T, let final = all.last(where: { $0.period.year == T }) {
            if keepsPoints { o.points = [final] }
            f.value = final.value
            let met = target.isMet(by: final.value, target: tv)
            f.status = met ? .met : .missed
            f.pMeet = met ? 1 : 0
            f.shortfall = met ? 0 : shortfall(final.value, target: target, tv)
            o.period = final.period
            o.value = final.value
            o.forecast = f
            o.holds = !met
            return o
        }

        var used: ArraySlice<Series.Point>
        if let w = p.window {
            used = all.suffix(w)
        } else {
            used = all.drop { $0.t < Double(plan.baselineYear) }
        }
        if keepsPoints { o.points = Array(used) }
        guard used.count >= p.minPoints else {
            f.reason = "needs \(p.minPoints) points, has \(used.count)"
            o.note = f.reason
            o.forecast = f
            return o
        }
        let y0 = series.value(at: .year(plan.baselineYear)) ?? used.first!.value
        let tT = Double(T)
        var raw: Double
        switch p.method {
        case .linear:
            guard let fit = LinearFit(points: used) else {
                f.reason = "all points are in one period"
                o.note = f.reason
                o.forecast = f
                return o
            }
            raw = fit.predict(at: tT)
            f.slope = fit.slope
            f.intercept = fit.intercept
            f.residualStandardError = fit.residualStandardError
            if let iv = intervalQuantiles?.predictionInterval(fit, at: tT)
                ?? fit.predictionInterval(at: tT, level: p.level)
            {
                f.lower = indicator.clamp(iv.lower)
                f.upper = indicator.clamp(iv.upper)
            }
            f.pMeet = probability(fit: fit, at: tT, target: target, tv)
            f.reachYear = reachYear(from: last, target: target, tv) { fit.predict(at: $0) }
        case .cagr:
            let first = used.first!
            guard let g = CompoundGrowth(from: (first.t, first.value), to: (last.t, last.value)) else {
                f.reason = "the growth method needs positive values at two different periods"
                o.note = f.reason
                o.forecast = f
                return o
            }
            raw = g.project(to: tT)
            f.slope = g.rate
            f.pMeet = target.isMet(by: indicator.clamp(raw), target: tv) ? 1 : 0
            f.reachYear = reachYear(from: last, target: target, tv) { g.project(to: $0) }
        }
        let yhat = indicator.clamp(raw)
        f.value = yhat
        if tv != y0 { f.progressRatio = (yhat - y0) / (tv - y0) }
        if target.isMet(by: last.value, target: tv) {
            f.status = .achieved
        } else if let q = f.progressRatio {
            f.status = q >= p.onTrackCutoff ? .onTrack : q >= p.accelerationCutoff ? .accelerationNeeded
                : q >= 0 ? .stagnating : .regressing
        } else {
            f.status = target.isMet(by: yhat, target: tv) ? .onTrack : .stagnating
        }
        o.forecast = f
        o.holds = (f.pMeet ?? 1) < p.minProbability
        return o
    }

    /// P(value at T meets the target) under the fitted Student-t predictive distribution.
    ///
    /// The distribution is not clamped: for a threshold inside the natural bounds, P(min(Y, hi) ≥ x) = P(Y ≥ x),
    /// so clamping would change nothing; a threshold outside the bounds can never be met.
    private func probability(fit: LinearFit, at t: Double, target: Target, _ tv: Double) -> Double? {
        if let b = indicator.bounds {
            switch target.comparison {
            case .greater where tv >= b.upperBound, .greaterOrEqual where tv > b.upperBound: return 0
            case .less where tv <= b.lowerBound, .lessOrEqual where tv < b.lowerBound: return 0
            default: break
            }
        }
        switch target.comparison {
        case .less, .lessOrEqual: return fit.probabilityBelow(tv, at: t)
        case .greater, .greaterOrEqual: return fit.probabilityAbove(tv, at: t)
        case .approximately:
            guard let hi = fit.probabilityBelow(tv + target.tolerance, at: t),
                let lo = fit.probabilityBelow(tv - target.tolerance, at: t)
            else { return nil }
            return max(0, hi - lo)
        }
    }

    /// The first whole year from the latest point on when the trend meets the target (at most 50 years ahead).
    private func reachYear(from last: Series.Point, target: Target, _ tv: Double, _ f: (Double) -> Double) -> Int? {
        for y in last.period.year...(last.period.year + 50) where target.isMet(by: indicator.clamp(f(Double(y))), target: tv) {
            return y
        }
        return nil
    }

    private func shortfall(_ v: Double, target: Target, _ tv: Double) -> Double {
        switch target.comparison {
        case .less, .lessOrEqual: return v - tv
        case .greater, .greaterOrEqual: return tv - v
        case .approximately: return abs(v - tv) - target.tolerance
        }
    }

    // MARK: trajectory

    func trajectory(_ series: Series, tolerance: Double, asOf at: Period?) -> Outcome {
        var (o, _, latest) = latest(series, asOf: at)
        guard let last = latest else { return o }
        guard let (target, tv) = resolvedTarget(series, &o) else { return o }
        let B = Double(plan.baselineYear)
        guard let y0 = series.value(at: .year(plan.baselineYear)) else {
            o.note = "no \(plan.baselineYear) baseline value"
            return o
        }
        guard last.t > B, tv != y0 else { return o }
        // Already meeting the target is never "behind", whatever the path says.
        if target.isMet(by: last.value, target: tv) { return o }
        let T = Double(target.year)
        let expected = last.t >= T ? tv : y0 + (tv - y0) * (last.t - B) / (T - B)
        o.measures.expected = expected
        // Which way is progress: the target's operator says it (≈ has none: towards the target from y0).
        let wantsLower = target.comparison.wantsLower ?? (tv < y0)
        let behind = wantsLower ? last.value - expected : expected - last.value
        o.holds = behind > tolerance * abs(tv - y0)
        return o
    }

    // MARK: fluctuation

    func fluctuation(_ series: Series, _ p: FluctuationParameters, asOf at: Period?) -> Outcome {
        var o = Outcome(rule: rule, key: series.key)
        // A slice of the series' own points, not a copy of them: indices run from `s`.
        let pts = series.asOf(at)
        let s = pts.startIndex
        guard pts.count >= 2 else {
            o.note = "needs 2 points, has \(pts.count)"
            o.period = pts.last?.period
            o.value = pts.last?.value
            if keepsPoints { o.points = Array(pts) }
            return o
        }
        var changes: [Double] = []
        changes.reserveCapacity(pts.count - 1)
        for i in 1..<pts.count {
            changes.append((pts[s + i].value - pts[s + i - 1].value) / (pts[s + i].t - pts[s + i - 1].t))
        }
        let delta = changes.last!
        let prev = pts[s + pts.count - 2].value
        let last = pts.last!
        o.period = last.period
        o.value = last.value
        if keepsPoints { o.points = Array(pts.suffix(max(2, p.robustZ != nil ? changes.count + 1 : 2))) }
        // Measures are boxed: filled here and set once, not boxed again per field.
        var measures = Outcome.Measures()
        measures.change = delta
        var holds = false
        if let a = p.absolute, abs(delta) > a { holds = true }
        if prev != 0 {
            let rel = delta / prev
            measures.relativeChange = rel
            if let r = p.relative, abs(rel) > r { holds = true }
        }
        if let k = p.robustZ {
            let earlier = Array(changes.dropLast())
            if earlier.count >= p.minChanges {
                if let z = Self.robustZ(delta, earlier) {
                    measures.robustZ = z
                    if abs(z) > k { holds = true }
                } else {
                    o.note = "earlier changes have no spread; robust z not judged"
                }
            }
        }
        o.measures = measures
        o.holds = holds
        return o
    }

    /// (x − median) / (1.4826·MAD); where MAD is 0 (more than half the changes equal), the modified z-score's
    /// fallback 1.2533·mean absolute deviation; `nil` when the earlier changes do not vary at all — then any change
    /// would be "infinitely" unusual, which says nothing.
    static func robustZ(_ x: Double, _ reference: [Double]) -> Double? {
        guard let med = RobustStatistics.median(reference), let mad = RobustStatistics.medianAbsoluteDeviation(reference)
        else { return nil }
        if mad > 0 { return (x - med) / (RobustStatistics.madToStandardDeviation * mad) }
        let meanAD = reference.reduce(0) { $0 + abs($1 - med) } / Double(reference.count)
        guard meanAD > 0 else { return nil }
        return (x - med) / (1.253314 * meanAD)
    }

    // MARK: direction

    func direction(_ series: Series, _ p: DirectionParameters, asOf at: Period?) -> Outcome {
        var o = Outcome(rule: rule, key: series.key)
        let pts = series.asOf(at).suffix(p.window)
        if keepsPoints { o.points = Array(pts) }
        o.period = pts.last?.period
        o.value = pts.last?.value
        // Measures are boxed: filled here and set once, not boxed again per field.
        var m = Outcome.Measures()
        m.window = p.window
        guard pts.count == p.window, let fit = LinearFit(points: pts) else {
            o.measures = m
            o.note = "needs \(p.window) points, has \(pts.count)"
            return o
        }
        m.slope = fit.slope
        o.measures = m
        o.holds = p.up ? fit.slope < -p.tolerance : fit.slope > p.tolerance
        return o
    }

    // MARK: gap

    /// `series` is the gap series |a − b| of the pair.
    func gap(_ series: Series, _ p: GapParameters, asOf at: Period?) -> Outcome {
        var o = Outcome(rule: rule, key: series.key)
        let pts = series.asOf(at).suffix(p.window)
        if keepsPoints { o.points = Array(pts) }
        var measures = Outcome.Measures()
        measures.window = p.window
        guard let last = pts.last else {
            o.measures = measures
            o.note = "no period with both \(p.between.0) and \(p.between.1)"
            return o
        }
        o.period = last.period
        o.value = last.value
        measures.gap = last.value
        var holds = false
        if let m = p.max, last.value > m { holds = true }
        if p.narrowing {
            if pts.count == p.window, let fit = LinearFit(points: pts) {
                measures.slope = fit.slope
                // A gap that has closed cannot narrow further.
                if fit.slope >= 0 && last.value > 0 { holds = true }
            } else {
                o.note = "needs \(p.window) periods with both sides, has \(pts.count)"
            }
        }
        o.measures = measures
        o.holds = holds
        return o
    }

    // MARK: stale

    /// Uses the evaluation day, not the data: the value for year Y is due on (Y+1)-MM-DD.
    func stale(_ series: Series, _ p: StaleParameters) -> Outcome {
        var o = Outcome(rule: rule, key: series.key)
        let pastDue = (time.now.month, time.now.day) > (p.dueMonth, p.dueDay)
        let dueYear = min(time.now.year - (pastDue ? 1 : 2), plan.targetYear)
        let pts = series.asOf(time.at)
        if keepsPoints { o.points = Array(pts.suffix(1)) }
        o.value = pts.last?.value
        guard dueYear >= plan.baselineYear else {
            o.note = "nothing due yet"
            return o
        }
        o.period = .year(dueYear)
        o.measures.due = CivilDate(year: dueYear + 1, month: p.dueMonth, day: p.dueDay)
        let latestYear = pts.last?.period.year ?? Int.min
        o.holds = latestYear < dueYear
        o.state = o.holds ? .firing : nil
        return o
    }
}
