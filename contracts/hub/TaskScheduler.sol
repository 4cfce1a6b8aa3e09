// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

/// @title TaskScheduler
/// @notice OpenGradient's workflow scheduler (alpha testnet 0x7179724De4e7FF9271FA40C0337c7f90C0508eF6,
///         "WorkflowScheduler" in the SDK): a contract that implements IModelExecutor's `run()` is
///         registered with an end time and a frequency, and the chain calls its `run()` every
///         `frequency` seconds until `endTime`. Upstream's source is not public; this one has the
///         published interface (selectors and event topics in shared/reference §9). The calling
///         of `run()` is the node's job (ogkit/workflows/runner.py); this contract only keeps the
///         tasks. No constructor and no initial storage: the local chains put its runtime code at
///         the alpha address from genesis.
///
/// One task per contract: the task id is keccak256(abi.encode(contractAddress)), so a
/// contract is never run twice per period, and stop/update name the contract alone.
///
/// Storage layout (the node's runner reads slot 1 to skip blocks when no task exists):
///   slot 0  tasks      mapping(bytes32 => Task)
///   slot 1  taskIds    bytes32[]  (the active tasks; a stopped task is removed)
///   slot 2  _position  mapping(bytes32 => uint256)  (index in taskIds + 1)
///
/// Selectors: 0x31a7e88c registerTask(address,uint256,uint256), 0xacac5393 updateTask(address,
/// uint256,uint256), 0x2f730891 stopTask(address), 0x779900b4 getAllTasks(), 0xe579f500
/// tasks(bytes32), 0x39118d25 taskIds(uint256).
contract TaskScheduler {
    struct Task {
        address user;
        address contractAddress;
        uint256 endTime;
        uint256 frequency;
    }

    /// topic0 0x2f401f04107164177693d79d92457c4baa184a9b5a5265d3e6d4ab0ab6716724
    event TaskRegistered(
        address indexed user, address indexed contractAddress, uint256 endTime, uint256 frequency
    );
    /// topic0 0x241f6a996425ccc55c93e17e9edc6e85a05deaf40ba91ab84dd4a4ccfa04070a
    event TaskStopped(address indexed user, address indexed contractAddress);
    /// topic0 0x8e337393daef41df7da28202ae5795388856a55cccc6993dc6c60991de8af034
    event TaskUpdated(
        address indexed user, address indexed contractAddress, uint256 newEndTime, uint256 newFrequency
    );

    mapping(bytes32 => Task) public tasks;
    bytes32[] public taskIds;
    mapping(bytes32 => uint256) private _position;

    /// @notice Have `contractAddress.run()` called every `frequency` seconds until `endTime`
    ///         (a Unix time, inclusive); the first run is due at once.
    function registerTask(address contractAddress, uint256 endTime, uint256 frequency) external {
        _checkSchedule(endTime, frequency);
        _checkExecutor(contractAddress);
        bytes32 id = _taskId(contractAddress);
        require(_position[id] == 0, "TaskScheduler: task already registered for this contract");
        tasks[id] = Task(msg.sender, contractAddress, endTime, frequency);
        taskIds.push(id);
        _position[id] = taskIds.length;
        emit TaskRegistered(msg.sender, contractAddress, endTime, frequency);
    }

    /// @notice Change a task's end time and frequency (its owner only).
    function updateTask(address contractAddress, uint256 newEndTime, uint256 newFrequency) external {
        bytes32 id = _ownedTask(contractAddress);
        _checkSchedule(newEndTime, newFrequency);
        tasks[id].endTime = newEndTime;
        tasks[id].frequency = newFrequency;
        emit TaskUpdated(msg.sender, contractAddress, newEndTime, newFrequency);
    }

    /// @notice Stop a task for good (its owner only); it can be registered again.
    function stopTask(address contractAddress) external {
        bytes32 id = _ownedTask(contractAddress);
        uint256 index = _position[id] - 1;
        uint256 last = taskIds.length - 1;
        if (index != last) {
            bytes32 moved = taskIds[last];
            taskIds[index] = moved;
            _position[moved] = index + 1;
        }
        taskIds.pop();
        delete _position[id];
        delete tasks[id];
        emit TaskStopped(msg.sender, contractAddress);
    }

    /// @notice The active tasks (registered, not stopped; a task past its end time stays
    ///         listed until stopped, and is no longer run).
    function getAllTasks() external view returns (Task[] memory all) {
        all = new Task[](taskIds.length);
        for (uint256 i = 0; i < all.length; i++) {
            all[i] = tasks[taskIds[i]];
        }
    }

    /// @dev The id of the task of `contractAddress` (the key of `tasks`).
    function _taskId(address contractAddress) private pure returns (bytes32) {
        return keccak256(abi.encode(contractAddress));
    }

    function _ownedTask(address contractAddress) private view returns (bytes32 id) {
        id = _taskId(contractAddress);
        require(_position[id] != 0, "TaskScheduler: no task for this contract");
        require(tasks[id].user == msg.sender, "TaskScheduler: caller is not the task owner");
    }

    function _checkSchedule(uint256 endTime, uint256 frequency) private view {
        require(frequency > 0, "TaskScheduler: frequency must be greater than zero");
        require(endTime > block.timestamp, "TaskScheduler: endTime is not in the future");
    }

    /// @dev A contract implements `run()` if its runtime code holds the instruction
    ///      `PUSH4 0xc0406226`: Solidity's dispatcher compares the call's selector with each
    ///      function's that way. The code is walked instruction by instruction (PUSH data
    ///      skipped, so a match is an instruction, not data) and the walk stops at the first
    ///      match, which for Solidity sits in the dispatcher at the start: registering costs a
    ///      few thousand gas. Proxies, whose code forwards every selector, are refused.
    function _checkExecutor(address target) private view {
        bytes memory code = target.code;
        require(code.length > 0, "TaskScheduler: contract has no code");
        bool found;
        assembly {
            let p := add(code, 32)
            let end := add(p, mload(code))
            for { } lt(p, end) { } {
                let op := byte(0, mload(p))
                if eq(op, 0x63) {
                    if eq(shr(224, mload(add(p, 1))), 0xc0406226) { // IModelExecutor.run()
                        found := 1
                        break
                    }
                }
                switch and(gt(op, 0x5f), lt(op, 0x80))
                case 1 { p := add(p, sub(op, 0x5e)) }
                default { p := add(p, 1) }
            }
        }
        require(found, "TaskScheduler: contract does not implement run()");
    }
}
