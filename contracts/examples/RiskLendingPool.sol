// SPDX-License-Identifier: MIT
pragma solidity ^0.8.18;

import "opengradient-neuroml/src/OGInference.sol";
import {ModelOutputs} from "./ModelOutputs.sol";

/// @title RiskLendingPool
/// @notice An ETH-collateral pool whose per-borrower collateral factor comes from a credit-risk
///         classifier run through the OGInference precompile.
///
///         deposit() collateral -> assess(features) -> borrow(amount) -> repay() -> withdraw().
///
/// @dev Model contract:
///      * input  `features`: number tensor, shape [1, 4], row-major:
///        (collateral_ratio, utilization, debt_to_income, account_age_years), each a `Number`
///        with 0..18 decimals (the node rejects more);
///      * outputs `probabilities` (number tensor, shape [1, 3], classes low/medium/high, in the
///        ModelOutput's `numbers`) and `label` (string tensor, one value "low" | "medium" |
///        "high", in `strings`). Both are looked up by name.
///
///      Label -> collateral factor: low 8000 bps, medium 6000 bps, high 0 bps. The probability
///      of "high" (the third class) is stored for display and off-chain monitoring.
///      An unknown label reverts `UnknownRiskLabel` and leaves the previous assessment.
///
///      Simulation results (`is_simulation_result == true`): `assess` returns false without
///      touching state, so the network's simulation pass succeeds (see VolatilityVault).
///
///      Simplifications, deliberate for an example: the features are self-reported by the
///      borrower (production code would derive collateral_ratio/utilization on-chain and take
///      the rest from an attested source); a lower factor after re-assessment blocks new
///      borrowing and withdrawals but there is no liquidation; no interest. ETH lent out comes
///      from the pool's balance, i.e. from all depositors' collateral.
contract RiskLendingPool {
    using ModelOutputs for ModelOutput;

    enum RiskClass {
        UNASSESSED,
        LOW,
        MEDIUM,
        HIGH
    }

    /// @notice The four model features, each `value / 10**decimals`.
    struct BorrowerFeatures {
        TensorLib.Number collateralRatio;
        TensorLib.Number utilization;
        TensorLib.Number debtToIncome;
        TensorLib.Number accountAgeYears;
    }

    struct Account {
        uint256 collateral; // wei deposited
        uint256 debt; // wei borrowed and not repaid
        uint16 collateralFactorBps; // borrow limit = collateral * factor / 10000
        RiskClass riskClass;
        int128 highRiskProbabilityValue; // P(high) as returned: value / 10**decimals
        int128 highRiskProbabilityDecimals;
        int256 highRiskProbabilityWad; // P(high) as an 18-decimal fraction
        uint64 assessedAt; // block timestamp of the last applied assessment
    }

    uint16 public constant BPS = 10_000;
    uint16 public constant LOW_RISK_FACTOR_BPS = 8_000;
    uint16 public constant MEDIUM_RISK_FACTOR_BPS = 6_000;
    uint16 public constant HIGH_RISK_FACTOR_BPS = 0;

    string public constant INPUT_NAME = "features";
    string public constant PROBABILITIES_NAME = "probabilities";
    string public constant LABEL_NAME = "label";

    address public owner;
    /// @notice Classifier id passed to the precompile as `modelCID`.
    string public modelId;
    /// @notice Verification mode for inference; VANILLA unless the owner changes it.
    ModelInferenceMode public inferenceMode;

    mapping(address => Account) public accounts;
    uint256 public totalCollateral;
    uint256 public totalDebt;

    event Deposited(address indexed account, uint256 amount, uint256 collateral);
    event Withdrawn(address indexed account, uint256 amount, uint256 collateral);
    event Assessed(
        address indexed account,
        RiskClass riskClass,
        uint16 collateralFactorBps,
        int128 highRiskProbabilityValue,
        int128 highRiskProbabilityDecimals,
        int256 highRiskProbabilityWad
    );
    event Borrowed(address indexed account, uint256 amount, uint256 debt);
    event Repaid(address indexed account, uint256 amount, uint256 debt);
    event InferenceModeChanged(ModelInferenceMode mode);

    error NotOwner();
    error ZeroAmount();
    error InvalidFeature(uint256 index, int128 decimals);
    error UnknownRiskLabel(string label);
    error UnexpectedProbabilities(uint256 valueCount);
    error NotAssessed();
    error BorrowLimitExceeded(uint256 limit, uint256 requestedDebt);
    error InsufficientLiquidity(uint256 available, uint256 requested);
    error InsufficientCollateral(uint256 collateral, uint256 requested);
    error Undercollateralized(uint256 limitAfter, uint256 debt);
    error NoDebt();
    error TransferFailed();

    constructor(string memory modelId_) {
        owner = msg.sender;
        modelId = modelId_;
    }

    // ------------------------------------------------------------------ collateral

    /// @notice Add `msg.value` to the caller's collateral.
    function deposit() external payable {
        if (msg.value == 0) revert ZeroAmount();
        Account storage a = accounts[msg.sender];
        a.collateral += msg.value;
        totalCollateral += msg.value;
        emit Deposited(msg.sender, msg.value, a.collateral);
    }

    /// @notice Take back collateral, keeping `debt <= collateral * factor`.
    function withdraw(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Account storage a = accounts[msg.sender];
        if (amount > a.collateral) revert InsufficientCollateral(a.collateral, amount);
        uint256 remaining = a.collateral - amount;
        uint256 limitAfter = (remaining * a.collateralFactorBps) / BPS;
        if (a.debt > limitAfter) revert Undercollateralized(limitAfter, a.debt);

        a.collateral = remaining;
        totalCollateral -= amount;
        emit Withdrawn(msg.sender, amount, remaining);
        _send(msg.sender, amount);
    }

    // ------------------------------------------------------------------ risk assessment

    /// @notice Classify the caller with the model and set their collateral factor.
    /// @return applied false (and no state change) for a simulation result, true otherwise.
    function assess(BorrowerFeatures calldata features) external returns (bool applied) {
        ModelInput memory input = ModelInput(
            new TensorLib.MultiDimensionalNumberTensor[](1), new TensorLib.StringTensor[](0)
        );
        input.numbers[0] = featureTensor(features);

        ModelOutput memory output = OG_INFERENCE_CONTRACT.runModelInference(
            ModelInferenceRequest(inferenceMode, modelId, input)
        );
        if (output.is_simulation_result) return false;

        RiskClass riskClass = riskClassOf(output.firstString(LABEL_NAME));

        TensorLib.MultiDimensionalNumberTensor memory probs =
            output.numberByName(PROBABILITIES_NAME);
        // Three classes (low, medium, high), whether shaped [1, 3] or [3]; row-major, so
        // "high" is the last value either way.
        if (probs.values.length != 3) revert UnexpectedProbabilities(probs.values.length);
        TensorLib.Number memory pHigh = probs.values[2];
        int256 pHighWad = ModelOutputs.toWad(pHigh);

        Account storage a = accounts[msg.sender];
        a.riskClass = riskClass;
        a.collateralFactorBps = factorFor(riskClass);
        a.highRiskProbabilityValue = pHigh.value;
        a.highRiskProbabilityDecimals = pHigh.decimals;
        a.highRiskProbabilityWad = pHighWad;
        a.assessedAt = uint64(block.timestamp);

        emit Assessed(
            msg.sender, riskClass, a.collateralFactorBps, pHigh.value, pHigh.decimals, pHighWad
        );
        return true;
    }

    /// @notice The model input: `features`, shape [1, 4], in the documented column order.
    function featureTensor(BorrowerFeatures calldata f)
        public
        pure
        returns (TensorLib.MultiDimensionalNumberTensor memory t)
    {
        uint32[] memory dims = new uint32[](2);
        dims[0] = 1;
        dims[1] = 4;
        t = TensorLib.numberTensorND(INPUT_NAME, dims);
        TensorLib.setValue(t, 0, 0, _checked(0, f.collateralRatio));
        TensorLib.setValue(t, 0, 1, _checked(1, f.utilization));
        TensorLib.setValue(t, 0, 2, _checked(2, f.debtToIncome));
        TensorLib.setValue(t, 0, 3, _checked(3, f.accountAgeYears));
    }

    /// @notice "low" | "medium" | "high" -> RiskClass; anything else reverts.
    function riskClassOf(string memory label) public pure returns (RiskClass) {
        if (ModelOutputs.eq(label, "low")) return RiskClass.LOW;
        if (ModelOutputs.eq(label, "medium")) return RiskClass.MEDIUM;
        if (ModelOutputs.eq(label, "high")) return RiskClass.HIGH;
        revert UnknownRiskLabel(label);
    }

    /// @notice Collateral factor (bps) for a risk class; 0 when unassessed.
    function factorFor(RiskClass riskClass) public pure returns (uint16) {
        if (riskClass == RiskClass.LOW) return LOW_RISK_FACTOR_BPS;
        if (riskClass == RiskClass.MEDIUM) return MEDIUM_RISK_FACTOR_BPS;
        return HIGH_RISK_FACTOR_BPS; // HIGH and UNASSESSED
    }

    // ------------------------------------------------------------------ borrowing

    /// @notice How much more `account` may borrow now (ignores pool liquidity).
    function availableToBorrow(address account) public view returns (uint256) {
        Account storage a = accounts[account];
        uint256 limit = (a.collateral * a.collateralFactorBps) / BPS;
        return limit > a.debt ? limit - a.debt : 0;
    }

    /// @notice Borrow `amount` wei from the pool, up to collateral x collateral factor.
    function borrow(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Account storage a = accounts[msg.sender];
        if (a.riskClass == RiskClass.UNASSESSED) revert NotAssessed();
        uint256 limit = (a.collateral * a.collateralFactorBps) / BPS;
        uint256 newDebt = a.debt + amount;
        if (newDebt > limit) revert BorrowLimitExceeded(limit, newDebt);
        if (amount > address(this).balance) {
            revert InsufficientLiquidity(address(this).balance, amount);
        }

        a.debt = newDebt;
        totalDebt += amount;
        emit Borrowed(msg.sender, amount, newDebt);
        _send(msg.sender, amount);
    }

    /// @notice Repay debt with `msg.value`; any excess over the debt is sent back.
    function repay() external payable {
        if (msg.value == 0) revert ZeroAmount();
        Account storage a = accounts[msg.sender];
        if (a.debt == 0) revert NoDebt();
        uint256 paid = msg.value < a.debt ? msg.value : a.debt;
        a.debt -= paid;
        totalDebt -= paid;
        emit Repaid(msg.sender, paid, a.debt);
        if (msg.value > paid) _send(msg.sender, msg.value - paid);
    }

    // ------------------------------------------------------------------ admin

    function setInferenceMode(ModelInferenceMode mode) external {
        if (msg.sender != owner) revert NotOwner();
        inferenceMode = mode;
        emit InferenceModeChanged(mode);
    }

    // ------------------------------------------------------------------ internals

    function _checked(uint256 index, TensorLib.Number calldata n)
        private
        pure
        returns (TensorLib.Number memory)
    {
        if (n.decimals < 0 || n.decimals > 18) revert InvalidFeature(index, n.decimals);
        return n;
    }

    /// @dev State is updated before every transfer (checks-effects-interactions).
    function _send(address to, uint256 amount) private {
        (bool ok,) = payable(to).call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
