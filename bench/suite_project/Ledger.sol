// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Ledger (benchmark only): what a user suite exercises besides models.
contract Ledger {
    mapping(address => uint256) public balanceOf;
    uint256 public total;

    event Deposited(address indexed who, uint256 amount, uint256 balance);

    error Insufficient(uint256 balance, uint256 wanted);

    function deposit(uint256 amount) external {
        balanceOf[msg.sender] += amount;
        total += amount;
        emit Deposited(msg.sender, amount, balanceOf[msg.sender]);
    }

    function withdraw(uint256 amount) external {
        uint256 balance = balanceOf[msg.sender];
        if (balance < amount) revert Insufficient(balance, amount);
        balanceOf[msg.sender] = balance - amount;
        total -= amount;
    }

    function ping(uint256 x) external pure returns (uint256) {
        require(x != 13, "unlucky");
        return x * 2;
    }
}
