import SpoorCore
import Testing

@Suite struct HexTests {
    @Test func readsPairsOfDigitsInEitherCaseAndRefusesAnythingElse() {
        #expect(Hex.bytes("00ff7Fa0") == [0x00, 0xFF, 0x7F, 0xA0])
        #expect(Hex.bytes("") == [])
        #expect(Hex.bytes("abc") == nil)
        #expect(Hex.bytes("0g") == nil)
        #expect(Hex.bytes("+1") == nil)
    }
}
