// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

/// @title DirectProbe (test only)
/// @notice Every outcome Ape shows for a transaction, so tests can compare the in-process
///         provider's direct path with Ape's eth-tester path (tests/chain/test_direct_provider.py):
///         return values, events, each kind of revert, running out of gas, console logs.
contract DirectProbe {
    address constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    uint256 public value;

    event Set(address indexed by, uint256 value);

    error Nope(uint256 code, string why);

    function set(uint256 newValue) external returns (uint256 doubled, string memory note) {
        value = newValue;
        emit Set(msg.sender, newValue);
        return (newValue * 2, "set");
    }

    function failString() external {
        value += 1;
        revert("DirectProbe: no");
    }

    function failCustom(uint256 code) external {
        value += 1;
        revert Nope(code, "custom");
    }

    function failPanic(uint256 divisor) external returns (uint256) {
        value += 1;
        return 7 / divisor;
    }

    function failEmpty() external {
        value += 1;
        revert();
    }

    /// @notice Reverts in a call to itself; the outer call bubbles the revert data up.
    function failInner() external {
        this.failString();
    }

    /// @notice Spends all the gas it is given.
    function burn() external {
        while (true) {
            value += 1;
        }
    }

    /// @notice `console.log(message)` as forge-std/hardhat's console library sends it.
    function logs(string calldata message) external {
        value += 1;
        (bool ok, ) = CONSOLE.staticcall(abi.encodeWithSignature("log(string)", message));
        ok;
    }

    /// @notice A console call in a nested frame that reverts: geth's trace still shows it.
    function logsThenFail(string calldata message) external {
        try this.logsAndRevert(message) {} catch {}
    }

    function logsAndRevert(string calldata message) external {
        (bool ok, ) = CONSOLE.staticcall(abi.encodeWithSignature("log(string)", message));
        ok;
        revert("after log");
    }
}
