import CDSModuleAPI
import Testing

@Suite("ProposalAction: the safety order")
struct ProposalActionTests {
    /// `safetyRank` spells out `bySafety` reversed: the two must agree.
    @Test func theRankIsThePlaceInBySafetyCountedFromTheSafest() {
        for (i, action) in ProposalAction.bySafety.enumerated() {
            #expect(action.safetyRank == ProposalAction.bySafety.count - 1 - i, "\(action)")
        }
        #expect(ProposalAction.avoid.safetyRank == 3)
        #expect(ProposalAction.recommend.safetyRank == 0)
        for unknown in ["", "Recommend", "recommend ", "avoid\u{0}", "prescribe"] {
            #expect(ProposalAction(rawValue: unknown).safetyRank == nil, "\(unknown.debugDescription)")
        }
    }
}
