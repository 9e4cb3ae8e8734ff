//! Safe, zero-cost epoll (skeleton: the API arrives with its issue).
