def value_iteration(*a, **k): raise NotImplementedError
def policy_evaluation(*a, **k): raise NotImplementedError
class Solution: pass
