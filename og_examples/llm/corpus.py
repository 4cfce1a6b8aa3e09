"""The small corpus the tiny example LLM is "trained" on (counted, not learned).

Plain documents for completions, and chat transcripts (rendered with the project's chat
template, `chat_template.render`) for chat, including tool use. The tiny model memorises
this text: what it can say is what is written here.
"""

from __future__ import annotations

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city",
    "parameters": (
        '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}'
    ),
}

DOCUMENTS = (
    "The quick brown fox jumps over the lazy dog.",
    "OpenGradient runs AI models inside the EVM, so a smart contract can call a model "
    "and use its answer in the same transaction.",
    "A precompile is a contract built into the chain itself. The precompile at 0xF4 runs "
    "ONNX models, LLM completions and LLM chats.",
    "Every inference is recorded once, and every replay of the block reads the record "
    "instead of running the model again.",
    "In TEE mode an enclave signs the request hash, the output hash and the time, and the "
    "signature settles on chain later.",
    "Verifiable AI means that anyone can check which model produced an answer and that the "
    "answer was not changed on the way.",
    "Once upon a time there was a tiny language model that knew only a few sentences, "
    "and it repeated them very carefully.",
)

_PARIS = '{"city": "Paris", "temperature_c": 18, "sky": "sunny"}'
_LONDON = '{"city": "London", "temperature_c": 11, "sky": "rainy"}'

DIALOGUES: tuple[dict, ...] = (
    {
        "messages": [
            {"role": "user", "content": "Hello!"},
            {"role": "assistant", "content": "Hello! How can I help you today?"},
        ]
    },
    {
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": "What is OpenGradient?"},
            {
                "role": "assistant",
                "content": "OpenGradient is a network that runs AI models inside the EVM.",
            },
        ]
    },
    {
        "messages": [
            {"role": "user", "content": "Tell me a joke."},
            {
                "role": "assistant",
                "content": "Why did the smart contract call the model? "
                "Because it could not make up its mind.",
            },
        ]
    },
    {
        "messages": [
            {"role": "user", "content": "Thank you!"},
            {"role": "assistant", "content": "You are welcome."},
        ]
    },
    {
        "tools": [WEATHER_TOOL],
        "messages": [
            {"role": "user", "content": "What is the weather in Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"name": "get_weather", "arguments": '{"city": "Paris"}'}],
            },
            {"role": "tool", "content": _PARIS},
            {"role": "assistant", "content": "It is 18 degrees and sunny in Paris."},
        ],
    },
    {
        "tools": [WEATHER_TOOL],
        "messages": [
            {"role": "user", "content": "Is it sunny in Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"name": "get_weather", "arguments": '{"city": "Paris"}'}],
            },
            {"role": "tool", "content": _PARIS},
            {"role": "assistant", "content": "Yes, it is 18 degrees and sunny in Paris."},
        ],
    },
    {
        "tools": [WEATHER_TOOL],
        "messages": [
            {"role": "user", "content": "Will it rain in London today?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"name": "get_weather", "arguments": '{"city": "London"}'}],
            },
            {"role": "tool", "content": _LONDON},
            {"role": "assistant", "content": "Yes, it is 11 degrees and rainy in London."},
        ],
    },
)
